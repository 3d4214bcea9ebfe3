"""The GNN stage: Interaction Network edge scores, triplet scores and tracks per event."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from trackgnn.gnn._config import GNNStageConfig
from trackgnn.stages import Stage, config_record

__all__ = ["GNNStage"]


class GNNStage(Stage):
    """Scores the filter graph's edges (and its triplets) and builds tracks.

    Output events are the input events with ``edge_score`` (GNN score; the filter's is
    kept as ``edge_filter_score``), ``edge_kept`` (score above ``score_cut``),
    ``triplet_index`` (2, T) / ``triplet_score`` (T,) when the triplet head is on, and
    ``track_label`` (N,) per hit (−1: no track) from the configured track builder.
    """

    name = "gnn"
    config_class = GNNStageConfig
    memory_settings = {
        "build": ("model.hidden_channels", "model.num_iterations", "triplets.hidden_channels"),
        "train": ("model.hidden_channels", "model.num_iterations", "triplets.max_triplets"),
        "infer": ("model.hidden_channels", "model.num_iterations"),
    }

    def __init__(self) -> None:
        self._log: Callable[[str], None] = print

    def build_model(self, config: GNNStageConfig):
        """A freshly initialised :class:`~trackgnn.gnn.EdgeTripletNetwork` for ``config``."""
        from trackgnn.gnn._network import EdgeTripletNetwork

        model = config.model
        return EdgeTripletNetwork(
            model.build(len(config.node_features)),
            triplet_hidden=config.triplets.hidden_channels,
            triplet_layers=config.triplets.num_layers if config.triplets.enabled else 0,
            loose_cut=config.triplets.loose_cut,
            activation=model.activation,
            norm=None if model.norm == "none" else model.norm,
        )

    def fingerprint(self, config: GNNStageConfig) -> dict:
        record = config_record(config)
        return {key: record[key] for key in ("model", "node_features", "node_scales", "triplets")}

    def prepare_inputs(self, config: GNNStageConfig, is_main: bool = True) -> Path:
        """Run the upstream bootstrap (simulation, embedding, filter) when the input is missing."""
        if is_main:
            from trackgnn.pipeline._bootstrap import ensure_upstream

            ensure_upstream(config, log=self._log)
        return Path(config.input_dir)

    def prepare_event(self, config: GNNStageConfig, data):
        """``x`` plus the ``input_cut`` on the filter score."""
        data = super().prepare_event(config, data)
        if config.input_cut > 0 and "edge_score" in data:
            from trackgnn.filter import select_edges

            data = select_edges(data, data.edge_score >= config.input_cut)
        return data

    def build_task(self, config: GNNStageConfig):
        from trackgnn.gnn._task import GNNTask

        return GNNTask(self.build_model(config), config)

    def train(self, config: GNNStageConfig, restart: bool = False, log: Callable[[str], None] = print) -> dict:
        """Train the GNN, then (``tracking.quality.enabled``) fit the track selection on the
        tracks the trained chain builds on the training events (:func:`~trackgnn.gnn.fit_selection`),
        then (``second_pass.train_epochs`` > 0) the second pass's own GNN and selection
        (:func:`~trackgnn.gnn.train_second_pass`; in a single process)."""
        import os

        self._log = log  # the upstream bootstrap in prepare_inputs reports through it
        out = super().train(config, restart=restart, log=log)
        if config.tracking.quality.enabled and int(os.environ.get("RANK", "0")) == 0:
            out["track_quality"] = self._fit_selection(config, log)
        if config.second_pass.enabled and config.second_pass.train_epochs > 0:
            if int(os.environ.get("WORLD_SIZE", "1")) > 1:
                log(f"second pass: its GNN trains in a single process: run `trackgnn train {config.config_path}` "
                    "once more without torchrun")
            else:
                from trackgnn.gnn._second_pass import train_second_pass

                out["second_pass"] = train_second_pass(config, restart=restart, log=log)
        return out

    def _fit_selection(self, config: GNNStageConfig, log: Callable[[str], None]) -> dict:
        import torch

        from trackgnn.gnn._quality import fit_selection

        path = self.checkpoint_dir(config) / "best.pt"
        model = super().load_trained(config, "cpu").model  # the GNN alone, without a selection to fit
        data = self.data_module(config, is_main=False)
        train_events = [self.prepare_event(config, e) for e in data.events("train")]
        val_events = [self.prepare_event(config, e) for e in data.events("val")]
        with torch.no_grad(), self.memory_guard(config, "infer"):
            return fit_selection(config, model, train_events, val_events, path, self.best_checkpoint(config, path),
                                 log=log)

    def load_trained(self, config: GNNStageConfig, device: str = "cpu", checkpoint: str | Path | None = None):
        """The trained GNN stage; with ``tracking.quality.enabled``, its track building ends with the
        track selection saved beside the checkpoint (a :class:`~trackgnn.errors.CheckpointError`
        naming ``trackgnn train`` when it is missing or was fitted for another checkpoint)."""
        from trackgnn.gnn._infer import gnn_steps
        from trackgnn.gnn._quality import load_selection
        from trackgnn.stages import TrainedStage

        trained = super().load_trained(config, device, checkpoint)
        if not config.tracking.quality.enabled:
            return trained
        path = self.checkpoint_dir(config) / "best.pt" if checkpoint is None else Path(checkpoint)
        selection = load_selection(config, path, self.best_checkpoint(config, path))
        return TrainedStage(self, config, trained.model, device, gnn_steps(config, trained.model, device, selection))

    def inference_steps(self, config: GNNStageConfig, model, device: str) -> list[tuple[str, Callable]]:
        """``gnn`` (edge and triplet scores) then ``track_building`` (:func:`~trackgnn.gnn.gnn_steps`)."""
        from trackgnn.gnn._infer import gnn_steps

        return gnn_steps(config, model, device)

    def event_counts(self, data):
        """Edge counts of the kept edges (``edge_kept``) against the truth edges."""
        from trackgnn.graph import edge_counts

        mask = data.edge_kept if "edge_kept" in data else None
        return edge_counts(data.edge_index, data.track_edges, data.particle_id, data.pt, edge_mask=mask)
