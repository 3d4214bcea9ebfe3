"""Shared post-processing of track labels: drop short tracks, number the rest 0..K−1; pick one
candidate per hit."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["best_per_key", "compact_labels", "order_by_group"]

_INSERTION_MAX = 32  # groups up to this size are sorted by insertion, larger ones by a merge sort


def compact_labels(labels: np.ndarray, min_hits: int = 1) -> np.ndarray:
    """Renumber track labels to 0..K−1 in order of first appearance; short tracks become −1.

    Parameters
    ----------
    labels : ndarray
        (N,) integer label per hit; negative means "no track".
    min_hits : int
        Tracks with fewer hits are dissolved (their hits get −1).

    Returns
    -------
    ndarray
        (N,) int64.
    """
    labels = np.asarray(labels, dtype=np.int64)
    out = np.full(labels.shape, -1, dtype=np.int64)
    valid = labels >= 0
    if not valid.any():
        return out
    uniq, first, inverse, counts = np.unique(labels[valid], return_index=True, return_inverse=True, return_counts=True)
    keep = counts >= min_hits
    rank = np.full(uniq.size, -1, dtype=np.int64)
    kept_order = np.argsort(first[keep], kind="stable")
    rank[np.flatnonzero(keep)[kept_order]] = np.arange(int(keep.sum()))
    out[valid] = rank[inverse]
    return out


def best_per_key(key: np.ndarray, *costs: np.ndarray) -> np.ndarray:
    """Index of the cheapest entry of each distinct ``key``: lowest ``costs[0]``, ties broken by
    ``costs[1]`` and so on, then by position (e.g. per hit, the track that wants it most).

    Parameters
    ----------
    key : ndarray
        (M,) key per candidate entry.
    *costs : ndarray
        (M,) each, in order of priority.

    Returns
    -------
    ndarray
        (number of distinct keys,) int64 indices into the entries, in increasing key order.
    """
    key = np.asarray(key)
    if key.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((*reversed(costs), key))
    ordered = key[order]
    return order[np.r_[True, ordered[1:] != ordered[:-1]]]


@njit(cache=True)
def _order_by_group(group, key, tie, n_groups):  # pragma: no cover - compiled
    counts = np.zeros(n_groups + 1, np.int64)
    for i in range(group.shape[0]):
        counts[group[i] + 1] += 1
    starts = np.cumsum(counts)
    order = np.empty(group.shape[0], np.int64)
    fill = starts[:-1].copy()
    for i in range(group.shape[0]):  # counting sort: stable
        order[fill[group[i]]] = i
        fill[group[i]] += 1
    for g in range(n_groups):
        lo, hi = starts[g], starts[g + 1]
        if hi - lo > _INSERTION_MAX:  # stable sorts: by tie, then by key
            block = order[lo:hi].copy()
            block = block[np.argsort(tie[block], kind="mergesort")]
            order[lo:hi] = block[np.argsort(key[block], kind="mergesort")]
            continue
        for a in range(lo + 1, hi):  # stable insertion sort by (key, tie)
            item = order[a]
            b = a - 1
            while b >= lo and (key[order[b]] > key[item]
                               or (key[order[b]] == key[item] and tie[order[b]] > tie[item])):
                order[b + 1] = order[b]
                b -= 1
            order[b + 1] = item
    return order


def order_by_group(group: np.ndarray, key: np.ndarray, tie: np.ndarray | None = None) -> np.ndarray:
    """``np.lexsort((tie, key, group))`` (without ``tie``: ``np.lexsort((key, group))``) for
    non-negative integer groups of a few entries each (e.g. track labels, a hit's edges) in linear
    time: a counting sort by group, then each group sorted by ``key``, ties by ``tie``, then by position.

    Parameters
    ----------
    group : ndarray
        (M,) non-negative int.
    key : ndarray
        (M,) float, no NaN.
    tie : ndarray, optional
        (M,) int.

    Returns
    -------
    ndarray
        (M,) int64 permutation.
    """
    group = np.asarray(group, np.int64)
    if group.size == 0:
        return np.zeros(0, np.int64)
    tie = np.zeros(group.size, np.int64) if tie is None else np.asarray(tie, np.int64)
    return _order_by_group(group, np.asarray(key, np.float64), tie, int(group.max()) + 1)
