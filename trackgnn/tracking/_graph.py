"""The input of every track builder: a scored hit graph (numpy, CPU)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ScoredGraph"]


def _array(value: Any, dtype: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # torch.Tensor
        value = value.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(value, dtype=dtype))


@dataclass
class ScoredGraph:
    """Hits (nodes), directed edges (inner → outer) and a score per edge.

    Parameters
    ----------
    edge_index : array_like
        (2, E) integer hit indices (source = inner, target = outer); torch tensors accepted.
    scores : array_like
        (E,) edge scores in [0, 1].
    num_nodes : int
        Number of hits N; hits without edges get no track (label −1).
    triplets : array_like, optional
        (2, T) pairs of edge indices (incoming, outgoing) sharing their middle hit.
    triplet_scores : array_like, optional
        (T,) scores of ``triplets``.
    embedding : array_like, optional
        (N, D) per-hit coordinates (e.g. the metric-learning embedding) for DBSCAN.
    positions : array_like, optional
        (N, 3) hit x, y, z [mm], for builders that fit helices (the walk-through's stitching).
    """

    edge_index: np.ndarray
    scores: np.ndarray
    num_nodes: int
    triplets: np.ndarray | None = None
    triplet_scores: np.ndarray | None = None
    embedding: np.ndarray | None = field(default=None, repr=False)
    positions: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.edge_index = _array(self.edge_index, np.int64).reshape(2, -1)
        self.scores = _array(self.scores, np.float64).reshape(-1)
        self.num_nodes = int(self.num_nodes)
        n_edges = self.edge_index.shape[1]
        if self.scores.shape != (n_edges,):
            raise ValueError(f"ScoredGraph: {n_edges} edges but {self.scores.size} scores")
        if n_edges and (self.edge_index.min() < 0 or self.edge_index.max() >= self.num_nodes):
            raise ValueError(
                f"ScoredGraph: edge_index refers to hits outside [0, {self.num_nodes}) "
                f"(min {self.edge_index.min()}, max {self.edge_index.max()})"
            )
        if (self.triplets is None) != (self.triplet_scores is None):
            raise ValueError("ScoredGraph: give triplets and triplet_scores together")
        if self.triplets is not None:
            self.triplets = _array(self.triplets, np.int64).reshape(2, -1)
            self.triplet_scores = _array(self.triplet_scores, np.float64).reshape(-1)
            if self.triplet_scores.shape != (self.triplets.shape[1],):
                raise ValueError(
                    f"ScoredGraph: {self.triplets.shape[1]} triplets but {self.triplet_scores.size} triplet scores"
                )
        if self.embedding is not None:
            self.embedding = _array(self.embedding, np.float32)
            if self.embedding.ndim != 2 or self.embedding.shape[0] != self.num_nodes:
                raise ValueError(
                    f"ScoredGraph: embedding must have shape ({self.num_nodes}, D), got {self.embedding.shape}"
                )

        if self.positions is not None:
            self.positions = _array(self.positions, np.float64)
            if self.positions.shape != (self.num_nodes, 3):
                raise ValueError(
                    f"ScoredGraph: positions must have shape ({self.num_nodes}, 3), got {self.positions.shape}"
                )

    @property
    def num_edges(self) -> int:
        return self.edge_index.shape[1]

    def edges_above(self, cut: float) -> tuple[np.ndarray, np.ndarray]:
        """(2, E') edges and their (E',) indices with ``score >= cut``."""
        keep = np.flatnonzero(self.scores >= cut)
        return self.edge_index[:, keep], keep
