"""Radius graph on embedded hits: undirected, de-duplicated, oriented inner → outer."""

from __future__ import annotations

from typing import Callable, Literal

import numpy as np

from trackgnn.graph._allowed_search import allowed_neighbours
from trackgnn.graph._backends import knn_within_radius
from trackgnn.graph._layer_map import PairFilter
from trackgnn.graph._select import oriented_unique_edges

__all__ = ["radius_graph", "orient_edges", "edge_labels", "edge_lengths", "truth_edge_mask"]


def orient_edges(src: np.ndarray, dst: np.ndarray, order_key: np.ndarray) -> np.ndarray:
    """Merge directed pairs into unique undirected edges pointing from low to high ``order_key``.

    Parameters
    ----------
    src, dst : ndarray of shape (n_pairs,)
        Hit indices; self-pairs are dropped, (i, j) and (j, i) become one edge.
    order_key : ndarray of shape (n_hits,)
        E.g. the hit's distance from the origin ``sqrt(r^2 + z^2)`` (mm), so edges run
        inner → outer.  Ties are broken by hit index.

    Returns
    -------
    ndarray of shape (2, n_edges), int64, sorted by (source, target).
    """
    src, dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)
    key = np.asarray(order_key)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    swap = (key[src] > key[dst]) | ((key[src] == key[dst]) & (src > dst))
    a, b = np.where(swap, dst, src), np.where(swap, src, dst)
    n = int(key.shape[0])
    code = np.sort(a * n + b)  # sort + neighbour test: several times faster than np.unique's hashing here
    code = code[np.r_[True, code[1:] != code[:-1]]] if code.size else code
    return np.stack([code // n, code % n]) if n else np.zeros((2, 0), np.int64)


def radius_graph(embedding, order_key, r: float, k: int, backend: str = "faiss",
                 chunk_size: int | None = None, device: str = "cpu", *,
                 keep: Callable | None = None, search_k: int | Literal["all"] | None = None, fused: bool = True):
    """Edges between hits closer than ``r`` in embedding space (each hit's ``k`` nearest at most).

    Parameters
    ----------
    embedding : Tensor of shape (n_hits, d)
    order_key : Tensor or ndarray of shape (n_hits,)
        Orientation key, see :func:`orient_edges`.
    r, k, backend, chunk_size, device
        See :func:`trackgnn.graph.knn_within_radius`.
    keep : callable, optional
        ``keep(src, dst) -> (E,) bool`` over candidate pairs (int64 tensors): only accepted
        pairs count towards a hit's ``k`` (e.g. :meth:`LayerPairMap.allowed`).  A
        :class:`~trackgnn.graph.PairFilter` (:meth:`LayerPairMap.pair_filter`) is applied
        inside the compiled neighbour selection.
    search_k : int or 'all', optional
        Neighbours searched per hit before ``keep`` (default ``k``); ``'all'``: every hit within
        ``r`` (each hit keeps its ``k`` nearest allowed ones), the :class:`PairFilter` applied
        inside the search (:func:`~trackgnn.graph.allowed_neighbours`: ``kdtree`` or ``torch``
        backend).
    fused : bool
        Compiled selection and orientation (default); ``False``: the NumPy reference, with
        ``keep`` called on all candidate pairs.  Both give identical edges.

    Returns
    -------
    Tensor of shape (2, n_edges), int64, sorted by (source, target).
    """
    import torch

    key = order_key.cpu().numpy() if torch.is_tensor(order_key) else np.asarray(order_key)
    compiled = fused and (keep is None or isinstance(keep, PairFilter))
    if search_k == "all" and compiled:
        src, dst = allowed_neighbours(embedding, r, k, keep, backend=backend, chunk_size=chunk_size, device=device)
        return torch.from_numpy(oriented_unique_edges(src, dst, key))
    if search_k == "all":
        search_k = max(len(embedding) - 1, 1)  # the reference: every point searched, then filtered
    search = k if keep is None else max(k, search_k or k)
    if compiled:
        src, dst = knn_within_radius(embedding, r, k, backend=backend, chunk_size=chunk_size,
                                     device=device, search_k=search, pair_filter=keep)
        return torch.from_numpy(oriented_unique_edges(src, dst, key))
    src, dst = knn_within_radius(embedding, r, search, backend=backend, chunk_size=chunk_size,
                                 device=device, fused=fused)
    if keep is not None and src.size:
        ok = np.asarray(keep(torch.from_numpy(src), torch.from_numpy(dst)), dtype=bool)
        src, dst = src[ok], dst[ok]
        src, dst = _first_per_query(src, dst, k)
    edges = oriented_unique_edges(src, dst, key) if fused else orient_edges(src, dst, key)
    return torch.from_numpy(edges)


def _first_per_query(src: np.ndarray, dst: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``k`` pairs of each query, keeping the backends' nearest-first order per query."""
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])
    rank = np.arange(src.size) - np.repeat(starts, np.diff(np.r_[starts, src.size]))
    return src[rank < k], dst[rank < k]


def edge_labels(edge_index, particle_id):
    """Tensor of shape (n_edges,), bool: both hits belong to the same (non-noise) particle."""
    a, b = particle_id[edge_index[0]], particle_id[edge_index[1]]
    return (a == b) & (a != 0)


def edge_lengths(x, edge_index):
    """Tensor of shape (n_edges,): Euclidean distance between the rows of ``x`` (n, d) each edge joins.

    Same values as ``(x[edge_index[0]] - x[edge_index[1]]).norm(dim=-1)``, with one (E, d)
    temporary instead of three.
    """
    import torch

    diff = x.index_select(0, edge_index[0])
    diff.sub_(x.index_select(0, edge_index[1]))
    return torch.linalg.vector_norm(diff, dim=-1)


def truth_edge_mask(edge_index, track_edges, num_nodes: int):
    """Which truth edges appear (in either orientation) in ``edge_index``.

    Returns
    -------
    (found, is_truth) : Tensor of shape (n_truth_edges,) and (n_edges,), bool
        ``found[t]``: truth edge ``t`` is in the graph; ``is_truth[e]``: edge ``e``
        is a truth edge.
    """
    import torch

    if track_edges.shape[1] == 0:  # no truth (inference on raw hits)
        return (torch.zeros(0, dtype=torch.bool, device=edge_index.device),
                torch.zeros(edge_index.shape[1], dtype=torch.bool, device=edge_index.device))
    # Truth edges sorted by (lower, higher) hit, with a row pointer per lower hit: each graph edge
    # compares its higher hit with the few truth partners of its lower hit (one pass per partner
    # slot): 3x faster than torch.isin on a complete event (0.15 vs 0.49 s), which sorts all 1.5M graph codes.
    lo, hi = torch.minimum(edge_index[0], edge_index[1]), torch.maximum(edge_index[0], edge_index[1])
    t_lo, t_hi = torch.minimum(track_edges[0], track_edges[1]), torch.maximum(track_edges[0], track_edges[1])
    codes = t_lo * num_nodes + t_hi
    order = torch.argsort(codes)
    t_lo, t_hi, codes = t_lo[order], t_hi[order], codes[order]
    ptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=lo.device)
    ptr[1:] = torch.cumsum(torch.bincount(t_lo, minlength=num_nodes), 0)
    first, count = ptr[lo], ptr[lo + 1] - ptr[lo]
    is_truth = torch.zeros(lo.shape[0], dtype=torch.bool, device=lo.device)
    seen = torch.zeros(t_lo.shape[0], dtype=torch.bool, device=lo.device)
    for slot in range(int(count.max()) if count.numel() else 0):
        row = (first + slot).clamp_(max=t_lo.shape[0] - 1)
        match = (slot < count) & (t_hi[row] == hi)
        is_truth |= match
        seen[row[match]] = True
    # a truth edge listed twice is found when either copy is
    _, group = torch.unique_consecutive(codes, return_inverse=True)
    found_group = torch.zeros(int(group.max()) + 1, dtype=torch.bool, device=lo.device)
    found_group[group[seen]] = True
    found = torch.empty_like(seen)
    found[order] = found_group[group]
    return found, is_truth
