"""Filter stage: an edge classifier that prunes the embedding graph before the GNN."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

import torch
from torch import nn

from trackgnn.filter._network import FilterModelConfig
from trackgnn.stages import Stage, StageConfig, shallow_copy

__all__ = ["FilterStageConfig", "FilterStage", "FilterTask"]



@dataclass
class FilterStageConfig(StageConfig):
    """Filter stage YAML (``input_dir`` is the embedding stage's ``stage_dir``).

    Attributes
    ----------
    edges_per_batch : int or None
        Edges drawn at random (with replacement) per training step on an event (null: all).
    pos_weight : float
        Weight of truth edges (consecutive hits of one particle, ``edge_truth``) in the binary
        cross-entropy, as in the GNN stage; fake edges weigh 1.
    skip_weight : float
        Weight of the other same-particle edges (they skip hits).  The filter keeps them
        (target 1, same-particle ``y``); the GNN learns to drop them.
    pt_weighting : {'none', 'score'}
        ``score``: both weights times the TrackML score's pT weight of the particle relative
        to 1 GeV (:func:`trackgnn.graph.score_pt_weight`), as in the GNN stage.
    score_cut : float
        Edges scoring above this are kept.
    """

    model: FilterModelConfig = field(default_factory=FilterModelConfig)
    edges_per_batch: int | None = 200_000
    pos_weight: float = 2.0
    skip_weight: float = 2.0
    pt_weighting: Literal["none", "score"] = "none"
    score_cut: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.edges_per_batch is not None and self.edges_per_batch < 1:
            raise ValueError(f"edges_per_batch must be >= 1 or null, got {self.edges_per_batch}")
        if self.pos_weight <= 0 or self.skip_weight < 0 or not 0 <= self.score_cut <= 1:
            raise ValueError(f"pos_weight must be > 0, skip_weight >= 0 and score_cut in [0, 1], got "
                             f"{self.pos_weight}, {self.skip_weight}, {self.score_cut}")


class FilterTask:
    """:class:`trackgnn.training.TrainingTask` of the filter: BCE on same-particle labels ``y``, truth
    edges weighted ``pos_weight``, other same-particle edges ``skip_weight``, fake edges 1."""

    metric_names = ("val_loss", "efficiency", "purity", "f1")
    default_monitor = ("val_loss", "min")

    def __init__(self, model: nn.Module, config: FilterStageConfig) -> None:
        self.model = model
        self.config = config

    def _loss(self, logits, y, truth, pt):
        from trackgnn.graph import edge_loss_weights

        cfg = self.config
        weight = edge_loss_weights(truth, y, pt, pos_weight=cfg.pos_weight, skip_weight=cfg.skip_weight,
                                   pt_weighting=cfg.pt_weighting).to(logits.device)
        bce = nn.functional.binary_cross_entropy_with_logits(logits, y.float(), reduction="none")
        return (weight * bce).mean()

    def training_step(self, model: nn.Module, event, generator: torch.Generator) -> torch.Tensor:
        device = next(self.model.parameters()).device
        edges, attr, y, truth = event.edge_index, event.edge_attr, event.y, event.edge_truth
        n = self.config.edges_per_batch
        if n is not None and edges.shape[1] > n:
            # drawn with replacement: a permutation of a complete event's ~1.5 M edges took 20 ms,
            # more than a 25 k-edge step itself; repeats are rare (~1 % of a 25 k draw)
            pick = torch.randint(edges.shape[1], (n,), generator=generator)
            edges, attr, y, truth = edges[:, pick], attr[pick], y[pick], truth[pick]
        logits = model(event.x.to(device), edges.to(device), attr.to(device))
        return self._loss(logits, y.to(device), truth.to(device), event.pt[edges[0]])

    def _evaluate(self, events: Sequence):
        """Mean validation loss per edge and the edge counts after the score cut."""
        from trackgnn.filter._network import edge_scores
        from trackgnn.graph import edge_counts

        device = next(self.model.parameters()).device
        total, loss, n_edges = None, 0.0, 0
        for event in events:
            scores = edge_scores(self.model, event.x.to(device), event.edge_index.to(device),
                                 event.edge_attr.to(device)).cpu()
            logits = torch.logit(scores.clamp(1e-7, 1 - 1e-7))
            loss += float(self._loss(logits, event.y, event.edge_truth, event.pt[event.edge_index[0]])) * scores.numel()
            n_edges += scores.numel()
            counts = edge_counts(event.edge_index, event.track_edges, event.particle_id, event.pt,
                                 edge_mask=scores > self.config.score_cut)
            total = counts if total is None else total + counts
        return loss / max(1, n_edges), total

    def validate(self, model: nn.Module, events: Sequence) -> dict[str, float]:
        from trackgnn.graph import edge_summary

        loss, total = self._evaluate(events)
        summary = edge_summary(total)
        return {"val_loss": loss, **{k: summary[k] for k in ("efficiency", "purity", "f1")}}

    def report(self, events: Sequence) -> dict:
        """Per-pT-bin edge metrics after the score cut."""
        from trackgnn.graph import summarize_edge_counts

        _, total = self._evaluate(events)
        return summarize_edge_counts(total) if total is not None else {}


class FilterStage(Stage):
    """Scores every embedding-graph edge; keeps those above ``score_cut``.

    Output events are the input events with the kept edges only (``edge_index``,
    ``y``, ``edge_dist``) and their ``edge_score``.
    """

    name = "filter"
    config_class = FilterStageConfig
    memory_settings = {
        "build": ("model.hidden_channels", "model.num_layers"),
        "train": ("edges_per_batch", "model.hidden_channels", "model.num_layers"),
        "infer": ("model.hidden_channels", "model.num_layers"),
    }

    def prepare_event(self, config: FilterStageConfig, data):
        """Scaled node features ``x`` and edge features ``edge_attr`` (:func:`trackgnn.graph.edge_geometry`)."""
        from trackgnn.graph import edge_geometry

        data = super().prepare_event(config, data)
        data.edge_attr = edge_geometry(data, data.edge_index, data.edge_dist)
        return data

    def build_model(self, config: FilterStageConfig):
        from trackgnn.filter._network import EdgeFilterNet
        from trackgnn.graph import EDGE_FEATURES

        return EdgeFilterNet(len(config.node_features), len(EDGE_FEATURES), config.model)

    def build_task(self, config: FilterStageConfig) -> FilterTask:
        return FilterTask(self.build_model(config), config)

    def inference_steps(self, config: FilterStageConfig, model, device: str) -> list[tuple[str, Callable]]:
        """One step, ``filter``: score every edge, keep those above ``score_cut``."""
        from trackgnn.filter._network import edge_scores, select_edges

        def score(data: Any) -> Any:
            scores = edge_scores(model, data.x.to(device), data.edge_index.to(device),
                                 data.edge_attr.to(device)).cpu()
            scored = shallow_copy(data)
            scored.edge_score = scores
            out = select_edges(scored, scores > config.score_cut)
            del out.x, out.edge_attr
            return out

        return [("filter", score)]
