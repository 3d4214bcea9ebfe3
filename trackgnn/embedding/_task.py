"""Training wrapper of the embedding network: pair sampling + hinge loss, graph metrics on validation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from trackgnn.config import check_sizes
from trackgnn.embedding._loss import hinge_loss
from trackgnn.embedding._pairs import sample_pairs

__all__ = ["PairConfig", "EmbeddingTask", "hit_order_key"]


@dataclass
class PairConfig:
    """``pairs:`` block: how training pairs are drawn and weighed.

    Attributes
    ----------
    margin : float
        Hinge margin and hard-negative mining radius (embedding units).
    knn : int
        Hard negatives mined per query hit.
    points_per_batch : int
        Query hits per training event.
    n_random : int
        Random partners per query hit.
    weight_true : float
        Weight of the same-particle term of the loss.
    """

    margin: float = 0.1
    knn: int = 50
    points_per_batch: int = 1000
    n_random: int = 2
    weight_true: float = 1.0

    def __post_init__(self) -> None:
        if self.margin <= 0 or self.knn < 1 or self.points_per_batch < 1 or self.n_random < 0:
            raise ValueError("margin must be > 0, knn and points_per_batch >= 1, n_random >= 0; got "
                             f"{self.margin}, {self.knn}, {self.points_per_batch}, {self.n_random}")
        if self.weight_true <= 0:
            raise ValueError(f"weight_true must be > 0, got {self.weight_true}")
        check_sizes("neighbours", knn=self.knn)


def hit_order_key(data) -> torch.Tensor:
    """Distance of each hit from the origin, ``sqrt(r^2 + z^2)`` (mm): edges point inner → outer."""
    return torch.hypot(data.r.double(), data.z.double())


class EmbeddingTask:
    """:class:`trackgnn.training.TrainingTask` of the embedding stage.

    Events need ``x`` (scaled features), ``track_edges``, ``particle_id``, ``pt``, ``r``, ``z``
    (and ``phi`` when ``train_sectors`` > 1: each training step sees one random azimuthal sector).
    Validation builds the radius graph with ``graph`` settings and reports its edge
    efficiency, purity, their harmonic mean ``f1`` (the default monitor: efficiency
    alone would favour the earliest, least pure epochs) and mean degree.
    """

    metric_names = ("efficiency", "purity", "f1", "mean_degree")
    default_monitor = ("f1", "max")

    def __init__(self, model: nn.Module, pairs: PairConfig, graph, train_sectors: int = 1) -> None:
        self.model = model
        self.pairs = pairs
        self.graph = graph
        self.train_sectors = train_sectors

    def learn_from_truth(self, events: Sequence) -> None:
        """Count the detector layer pairs of the training events' truth edges (the layer-pair map)."""
        layer_pairs = self.model.layer_pairs
        layer_pairs.counts.zero_()
        for event in events:
            layer_pairs.update(event.layer, event.track_edges)

    def training_step(self, model: nn.Module, event, generator: torch.Generator) -> torch.Tensor:
        from trackgnn.graph import edge_labels
        from trackgnn.processing import random_sector

        device = next(self.model.parameters()).device
        event = random_sector(event, self.train_sectors, generator)
        embedding = model(event.x.to(device))
        cfg = self.pairs
        pairs = sample_pairs(embedding.detach(), event.track_edges.to(device), cfg.points_per_batch,
                             cfg.margin, cfg.knn, cfg.n_random, generator)
        same = edge_labels(pairs, event.particle_id.to(device))
        return hinge_loss(embedding, pairs, same, cfg.margin, cfg.weight_true)

    def build_graph(self, event, device: str = "cpu"):
        """``(embedding, edge_index)`` of one event in the current model."""
        from trackgnn.embedding._graph import embedding_graph

        embedding = self.model(event.x.to(device))
        return embedding.cpu(), embedding_graph(embedding, event, self.graph, device, self.model.layer_pairs)

    def _counts(self, events: Sequence):
        from trackgnn.graph import edge_counts

        device = str(next(self.model.parameters()).device)
        total = None
        for event in events:
            _, edges = self.build_graph(event, device)
            counts = edge_counts(edges, event.track_edges, event.particle_id, event.pt)
            total = counts if total is None else total + counts
        return total

    def validate(self, model: nn.Module, events: Sequence) -> dict[str, float]:
        from trackgnn.graph import edge_summary

        return edge_summary(self._counts(events))

    def report(self, events: Sequence) -> dict:
        """Per-pT-bin edge metrics of the radius graph (:func:`trackgnn.graph.summarize_edge_counts`)."""
        from trackgnn.graph import summarize_edge_counts

        total = self._counts(events)
        return summarize_edge_counts(total) if total is not None else {}
