"""Shared post-processing of track labels: drop short tracks, number the rest 0..K−1; pick one
candidate per hit."""

from __future__ import annotations

import numpy as np

__all__ = ["best_per_key", "compact_labels"]


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
