"""Neighbour-row selection and edge orientation, compiled with numba (one pass each, no temporaries).

The NumPy reference of the same logic is ``_select_reference`` of :mod:`trackgnn.graph._backends`,
``_first_per_query`` of :mod:`trackgnn.graph._build` and :func:`trackgnn.graph.orient_edges`
(``radius_graph(..., fused=False)``); the kernels give identical pairs in identical order.
Compiled on first use and cached on disk.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["select_neighbours", "select_rows", "oriented_unique_edges"]


@njit(cache=True)
def select_rows(dist, idx, queries, n, bound, square, search_k, k, rows, table, src_out, dst_out):
    """Walk each query's neighbour row once; returns the number of pairs written.

    Row ``q`` lists the neighbours ``idx[q]`` of hit ``queries[q]``, nearest first, at distances
    ``dist[q]``.  A neighbour counts when it is a hit (``0 <= j < n``), not the query itself and
    within the bound (``dist**2 < bound`` with ``square``, else ``dist < bound``); of the first
    ``search_k`` that count, the first ``k`` whose layer pair is allowed
    (``table[rows[i], rows[j]]``; every pair when ``rows`` is empty) are written to
    ``src_out``/``dst_out`` (query, neighbour), row after row.
    """
    filtered = rows.shape[0] > 0
    out = 0
    for q in range(idx.shape[0]):
        i = queries[q]
        counted = 0
        kept = 0
        for c in range(idx.shape[1]):
            j = idx[q, c]
            if j < 0 or j >= n or j == i:
                continue
            d = dist[q, c]
            if square:
                d = d * d
            if not d < bound:
                continue
            counted += 1
            if counted > search_k:
                break
            if filtered and not table[rows[i], rows[j]]:
                continue
            src_out[out] = i
            dst_out[out] = j
            out += 1
            kept += 1
            if kept == k:
                break
    return out


def select_neighbours(dist: np.ndarray, idx: np.ndarray, queries: np.ndarray, n: int, bound: float,
                      square: bool, k: int, search_k: int | None = None, rows: np.ndarray | None = None,
                      table: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Directed pairs (query → neighbour) kept from neighbour rows, see :func:`select_rows`.

    Parameters
    ----------
    dist, idx : ndarray of shape (m, kk)
        Distances (any float dtype) and hit indices of each query's neighbours, nearest first;
        ``idx`` < 0 or >= ``n`` marks no neighbour.
    queries : ndarray of shape (m,), int64
        Hit index of each row.
    n : int
        Number of hits.
    bound : float
        A neighbour counts when ``dist**2 < bound`` (``square``) or ``dist < bound``; the bound
        is rounded to ``dist``'s dtype first, as NumPy does comparing an array with a Python float.
    square : bool
    k : int
        Pairs kept per query at most.
    search_k : int, optional
        Counted neighbours looked at per query (default ``k``).
    rows, table : ndarray, optional
        Layer-pair filter: ``rows`` (n,) int64 row of each hit in the (L, L) bool ``table``
        (see :class:`trackgnn.graph.PairFilter`); default every pair.

    Returns
    -------
    (src, dst) : ndarray of shape (n_pairs,), int64, row after row in neighbour order.
    """
    m, kk = idx.shape if idx.ndim == 2 else (0, 0)
    size = m * min(k, kk)
    src, dst = np.empty(size, np.int64), np.empty(size, np.int64)
    if size == 0:
        return src, dst
    if rows is None or table is None:
        rows, table = np.zeros(0, np.int64), np.ones((1, 1), np.bool_)
    bound = float(np.asarray(bound, dtype=dist.dtype))
    count = select_rows(dist, idx, np.asarray(queries, np.int64), int(n), bound, bool(square),
                        int(search_k if search_k is not None else k), int(k),
                        np.asarray(rows, np.int64), np.asarray(table, np.bool_), src, dst)
    return src[:count], dst[:count]


@njit(cache=True)
def _oriented_codes(src, dst, key):
    """``lo * n + hi`` per pair (self pairs: −1), ``lo`` the hit of lower ``key`` (ties: lower index)."""
    n = key.shape[0]
    codes = np.empty(src.shape[0], dtype=np.int64)
    for e in range(src.shape[0]):
        s, d = src[e], dst[e]
        if s == d:
            codes[e] = -1
        elif key[s] > key[d] or (key[s] == key[d] and s > d):
            codes[e] = d * n + s
        else:
            codes[e] = s * n + d
    return codes


#: Buckets up to this size are insertion-sorted in :func:`_sorted_codes`; larger ones use NumPy's sort.
_INSERTION_MAX = 64


@njit(cache=True)
def _sorted_codes(codes, n):
    """The non-negative ``codes`` (``lo * n + hi``) in ascending order: a counting sort by ``lo``, then
    each hit's few codes sorted in place.  ``np.sort`` of the same codes, minus the negatives, in
    O(edges + hits) instead of O(edges log edges): the codes come from a kNN graph, a few dozen per hit."""
    starts = np.zeros(n + 1, dtype=np.int64)
    for e in range(codes.shape[0]):
        if codes[e] >= 0:
            starts[codes[e] // n + 1] += 1
    for i in range(n):
        starts[i + 1] += starts[i]
    out = np.empty(starts[n], dtype=np.int64)
    fill = starts[:n].copy()
    for e in range(codes.shape[0]):
        c = codes[e]
        if c >= 0:
            lo = c // n
            out[fill[lo]] = c
            fill[lo] += 1
    for lo in range(n):
        first, stop = starts[lo], starts[lo + 1]
        if stop - first > _INSERTION_MAX:
            out[first:stop] = np.sort(out[first:stop])
            continue
        for i in range(first + 1, stop):
            value = out[i]
            j = i - 1
            while j >= first and out[j] > value:
                out[j + 1] = out[j]
                j -= 1
            out[j + 1] = value
    return out


@njit(cache=True)
def _decode_unique(codes, n):
    """(2, n_unique) int64 edges of the sorted ``codes``, negative codes and duplicates skipped."""
    total = 0
    for e in range(codes.shape[0]):
        if codes[e] >= 0 and (total == 0 or codes[e] != codes[e - 1]):
            total += 1
    edges = np.empty((2, total), dtype=np.int64)
    out = 0
    for e in range(codes.shape[0]):
        c = codes[e]
        if c >= 0 and (out == 0 or c != codes[e - 1]):
            edges[0, out] = c // n
            edges[1, out] = c % n
            out += 1
    return edges


def oriented_unique_edges(src: np.ndarray, dst: np.ndarray, key: np.ndarray) -> np.ndarray:
    """(2, n_edges) int64 unique undirected edges from low to high ``key``, sorted by (source, target).

    Same result as :func:`trackgnn.graph.orient_edges` (self pairs dropped, ties of ``key``
    broken by hit index): compiled passes to pair codes, to the codes sorted hit by hit
    (:func:`_sorted_codes`) and to unique edges.
    """
    key = np.asarray(key)
    n = max(1, key.shape[0])
    codes = _oriented_codes(np.asarray(src, np.int64), np.asarray(dst, np.int64), key)
    return _decode_unique(_sorted_codes(codes, n), n)
