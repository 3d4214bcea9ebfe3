"""Tracks as the weakly connected components of the edges above a score cut."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components as _scipy_components

from trackgnn.tracking._graph import ScoredGraph
from trackgnn.tracking._labels import compact_labels

__all__ = ["connected_components"]


def connected_components(graph: ScoredGraph, *, score_cut: float = 0.5, min_hits: int = 3) -> np.ndarray:
    """Label hits by connected component of the graph of edges with ``score >= score_cut``.

    Fast and exact when the cut removes every fake edge; two tracks joined by one
    surviving fake edge merge into one (use :func:`walkthrough` to resolve branches).

    Parameters
    ----------
    graph : ScoredGraph
    score_cut : float
        Edges below it are removed.
    min_hits : int
        Components with fewer hits are not tracks (label −1); isolated hits always get −1.

    Returns
    -------
    ndarray
        (N,) int64 track label per hit, 0..K−1, −1 for none.
    """
    edges, _ = graph.edges_above(score_cut)
    n = graph.num_nodes
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    adjacency = sp.coo_matrix(
        (np.ones(edges.shape[1], dtype=np.int8), (edges[0], edges[1])), shape=(n, n)
    ).tocsr()
    _, labels = _scipy_components(adjacency, directed=True, connection="weak")
    return compact_labels(labels, max(min_hits, 2))
