"""Tracks as DBSCAN clusters, on 1 − edge score or on the hit embedding."""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp

from trackgnn.tracking._graph import ScoredGraph
from trackgnn.tracking._labels import compact_labels

__all__ = ["dbscan"]

_TINY = 1e-9  # a stored distance of exactly 0 would be dropped from the sparse matrix


def _score_distances(graph: ScoredGraph, score_cut: float) -> sp.csr_matrix:
    """Symmetric sparse distances 1 − score over edges (the best score if an edge appears twice)."""
    edges, kept = graph.edges_above(score_cut)
    dist = np.maximum(1.0 - graph.scores[kept], _TINY)
    rows = np.r_[edges[0], edges[1]]
    cols = np.r_[edges[1], edges[0]]
    dist = np.r_[dist, dist]
    order = np.lexsort((dist, cols, rows))
    rows, cols, dist = rows[order], cols[order], dist[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    n = graph.num_nodes
    return sp.csr_matrix((dist[first], (rows[first], cols[first])), shape=(n, n))


def dbscan(
    graph: ScoredGraph,
    *,
    eps: float = 0.25,
    min_samples: int = 2,
    on: Literal["score", "embedding"] = "score",
    score_cut: float = 0.0,
    min_hits: int = 3,
) -> np.ndarray:
    """Cluster hits with scikit-learn's DBSCAN.

    Parameters
    ----------
    graph : ScoredGraph
    eps : float
        Neighbourhood radius: a distance 1 − score (``on="score"``, e.g. 0.25 links
        hits joined by an edge of score > 0.75) or an embedding-space distance.
    min_samples : int
        DBSCAN's core-point threshold (the point itself included).
    on : {"score", "embedding"}
        Cluster on the precomputed sparse distance 1 − score over the graph's edges,
        or on ``graph.embedding`` coordinates.
    score_cut : float
        With ``on="score"``, edges below it are ignored.
    min_hits : int
        Clusters with fewer hits are not tracks.

    Returns
    -------
    ndarray
        (N,) int64 track label per hit, −1 for noise / none.
    """
    from sklearn.cluster import DBSCAN

    if on not in ("score", "embedding"):
        raise ValueError(f"dbscan: on could not resolve {on!r} among ['score', 'embedding']")
    n = graph.num_nodes
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if on == "embedding":
        if graph.embedding is None:
            raise ValueError("dbscan: on='embedding' needs graph.embedding (the hits' embedding coordinates)")
        points = graph.embedding
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(points)
    else:
        distances = _score_distances(graph, score_cut)
        if distances.nnz == 0:
            return np.full(n, -1, dtype=np.int64)
        labels = DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit_predict(distances)
    return compact_labels(labels, max(min_hits, 2))
