"""Embedding stage: raw TrackML events → preprocessed tensors → embedding → radius graph per event."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from trackgnn.embedding._graph import GraphConfig
from trackgnn.embedding._model import EmbeddingModelConfig
from trackgnn.embedding._task import PairConfig
from trackgnn.stages import EventDataModule, Stage, StageConfig, check_train_sectors, shallow_copy

__all__ = ["EmbeddingStageConfig", "EmbeddingStage"]


@dataclass
class EmbeddingStageConfig(StageConfig):
    """Embedding stage YAML.

    ``input_dir`` is a raw TrackML directory; its first ``sum(data_split)`` events are
    preprocessed once into ``processed_dir`` and reused by later runs.

    ``train_sectors``: each training step embeds the hits of one random azimuthal sector,
    2π / ``train_sectors`` wide, of its event and draws its pairs there (the truth edges
    inside it, hard negatives among its hits): that many times cheaper steps, so that many more
    of them in the same time.  1: the whole event.  Validation and inference see whole events.
    """

    processed_dir: Path = Path("data/processed")
    model: EmbeddingModelConfig = field(default_factory=EmbeddingModelConfig)
    pairs: PairConfig = field(default_factory=PairConfig)
    graph: GraphConfig = field(default_factory=GraphConfig)
    train_sectors: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        check_train_sectors(self.train_sectors)


class EmbeddingStage(Stage):
    """Metric learning (hinge loss on random, true and hard-negative pairs) and graph construction.

    Output events hold the input hits (hard cuts applied), their ``embedding``
    ``(n_hits, out_dim)``, the radius graph ``edge_index`` (inner → outer),
    ``y`` (both hits from one particle), ``edge_truth`` (the edge is a truth edge,
    see :func:`trackgnn.processing.truth_edges`) and ``edge_dist`` (embedding distance).
    """

    name = "embedding"
    config_class = EmbeddingStageConfig
    memory_settings = {
        "build": ("model.hidden_channels", "model.num_layers"),
        "train": ("pairs.points_per_batch", "pairs.knn", "model.hidden_channels", "model.num_layers"),
        "infer": ("graph.chunk_size", "graph.k", "model.hidden_channels"),
    }

    def producer(self, config: EmbeddingStageConfig) -> str:
        return f"trackgnn simulate --out {config.input_dir} --events {sum(config.data_split)}"

    def _raw_ids(self, config: EmbeddingStageConfig) -> list[int]:
        from trackgnn.errors import MissingInputError
        from trackgnn.processing import raw_event_ids

        ids = raw_event_ids(config.input_dir)
        needed = sum(config.data_split)
        if len(ids) < needed:
            raise MissingInputError(f"{config.input_dir}: {len(ids)} events but data_split "
                                    f"{list(config.data_split)} needs {needed}; create them with "
                                    f"`{self.producer(config)}`")
        return ids[:needed]

    def prepare_inputs(self, config: EmbeddingStageConfig, is_main: bool = True) -> Path:
        from trackgnn.processing import preprocess_dataset

        if is_main:
            preprocess_dataset(config.input_dir, config.processed_dir, self._raw_ids(config),
                               progress=config.training.progress)
        return Path(config.processed_dir)

    def data_module(self, config: EmbeddingStageConfig, is_main: bool = True) -> EventDataModule:
        from trackgnn.processing import event_file

        directory = self.prepare_inputs(config, is_main)
        files = [event_file(directory, i) for i in self._raw_ids(config)]
        return EventDataModule(directory, config.data_split, config.hard_cuts, self.producer(config),
                               flat_files=files)

    def new_event_files(self, config: EmbeddingStageConfig, input_dir: Path, output_dir: Path) -> list[Path]:
        """Preprocess the raw events of ``input_dir`` into ``output_dir/processed`` (reused)."""
        from trackgnn.processing import preprocess_dataset

        return preprocess_dataset(input_dir, Path(output_dir) / "processed",
                                  progress=config.training.progress)

    def build_model(self, config: EmbeddingStageConfig):
        from trackgnn.embedding._model import EmbeddingNet

        return EmbeddingNet(len(config.node_features), config.model)

    def build_task(self, config: EmbeddingStageConfig):
        from trackgnn.embedding._task import EmbeddingTask

        return EmbeddingTask(self.build_model(config), config.pairs, config.graph, config.train_sectors)

    def inference_steps(self, config: EmbeddingStageConfig, model, device: str) -> list[tuple[str, Callable]]:
        """``embedding`` (the network on every hit) then ``graph_building`` (radius graph, truth labels)."""
        from trackgnn.embedding._graph import embedding_graph
        from trackgnn.graph import edge_labels, edge_lengths, truth_edge_mask

        def embed(data: Any) -> Any:
            out = shallow_copy(data)
            out.embedding = model(data.x.to(device))  # stays on the device for the graph search
            return out

        def build_graph(data: Any) -> Any:
            out = shallow_copy(data)
            edges = embedding_graph(data.embedding, data, config.graph, device, model.layer_pairs)
            out.embedding = embedding = data.embedding.cpu()
            out.edge_index = edges
            out.y = edge_labels(edges, data.particle_id)
            out.edge_truth = truth_edge_mask(edges, data.track_edges, data.num_nodes)[1]
            out.edge_dist = edge_lengths(embedding, edges)
            del out.x
            return out

        return [("embedding", embed), ("graph_building", build_graph)]
