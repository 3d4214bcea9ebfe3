"""The walk-through's inner loops, compiled with numba (a full event's graph walks in milliseconds).

Arrays are the CSR views built by :class:`trackgnn.tracking._walkthrough._Walker`; the logic is
documented on :func:`trackgnn.tracking.walkthrough`.  Compiled on first use and cached on disk.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["walk_all"]


@njit(cache=True)
def _triplet_score(tri_ptr, tri_out, tri_score, prev_edge, edge):
    """Score of triplet (prev_edge, edge), or −1 when there is none (the last of duplicates wins)."""
    lo, hi = tri_ptr[prev_edge], tri_ptr[prev_edge + 1]
    pos = lo + np.searchsorted(tri_out[lo:hi], edge, side="right") - 1
    if pos >= lo and tri_out[pos] == edge:
        return tri_score[pos]
    return -1.0


@njit(cache=True)
def _walk(seed, out_ptr, out_dst, out_edge, out_score, tri_ptr, tri_out, tri_score, has_triplets,
          triplet_cut, visited, stamp, walk_id, path):
    """Follow the best outgoing edge to unused hits; returns the path length written into ``path``."""
    length = 1
    path[0] = seed
    stamp[seed] = walk_id
    node, prev_edge = seed, -1
    while True:
        best_k, best = -1, -np.inf
        for k in range(out_ptr[node], out_ptr[node + 1]):
            target = out_dst[k]
            if visited[target] or stamp[target] == walk_id:
                continue
            value = float(out_score[k])
            if has_triplets and prev_edge >= 0:
                t = _triplet_score(tri_ptr, tri_out, tri_score, prev_edge, out_edge[k])
                if t >= 0.0:
                    if t < triplet_cut:
                        continue
                    value = t
            if value > best:
                best_k, best = k, value
        if best_k < 0:
            return length
        node, prev_edge = out_dst[best_k], out_edge[best_k]
        path[length] = node
        stamp[node] = walk_id
        length += 1


@njit(cache=True)
def _count_links(ends, lo, hi, visited, stamp, walk_id, links, touched, n_touched):
    """Add one link to each unused hit of ``ends[lo:hi]`` off the walk; returns the new ``n_touched``."""
    for k in range(lo, hi):
        other = ends[k]
        if not visited[other] and stamp[other] != walk_id:
            if links[other] == 0:
                touched[n_touched] = other
                n_touched += 1
            links[other] += 1
    return n_touched


@njit(cache=True)
def _absorb(path, length, min_links, out_ptr, out_dst, in_ptr, in_src, visited, stamp, walk_id, links,
            touched):
    """Append to ``path`` the unused hits with ``min_links`` edges to or from it, in hit order."""
    n_touched = 0
    for i in range(length):
        node = path[i]
        n_touched = _count_links(out_dst, out_ptr[node], out_ptr[node + 1], visited, stamp, walk_id, links,
                                 touched, n_touched)
        n_touched = _count_links(in_src, in_ptr[node], in_ptr[node + 1], visited, stamp, walk_id, links,
                                 touched, n_touched)
    found = np.sort(touched[:n_touched])
    for other in found:
        if links[other] >= min_links:
            path[length] = other
            length += 1
    for other in found:
        links[other] = 0
    return length


@njit(cache=True)
def walk_all(n, out_ptr, out_dst, out_edge, out_score, in_ptr, in_src, indegree, active,
             tri_ptr, tri_out, tri_score, has_triplets, triplet_cut, min_hits, absorb_links):
    """(n,) int64 labels (−1: none), tracks numbered in the order they are found."""
    labels = np.full(n, -1, dtype=np.int64)
    visited = np.zeros(n, dtype=np.bool_)
    stamp = np.full(n, -1, dtype=np.int64)
    links = np.zeros(n, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    path = np.empty(n, dtype=np.int64)
    walk_id = 0
    next_label = 0
    while True:
        pending = active & ~visited
        if not pending.any():
            break
        seeds = np.flatnonzero(pending & (indegree <= 0))
        if seeds.size == 0:
            seeds = np.flatnonzero(pending)[:1]
        best = np.empty(seeds.size)
        for i in range(seeds.size):
            lo, hi = out_ptr[seeds[i]], out_ptr[seeds[i] + 1]
            best[i] = out_score[lo] if hi > lo else -1.0
        for seed in seeds[np.argsort(-best, kind="mergesort")]:
            if visited[seed]:
                continue
            length = _walk(seed, out_ptr, out_dst, out_edge, out_score, tri_ptr, tri_out, tri_score,
                           has_triplets, triplet_cut, visited, stamp, walk_id, path)
            if length >= min_hits and absorb_links > 0:
                length = _absorb(path, length, absorb_links, out_ptr, out_dst, in_ptr, in_src, visited,
                                 stamp, walk_id, links, touched)
            walk_id += 1
            for i in range(length):
                node = path[i]
                visited[node] = True
                for k in range(out_ptr[node], out_ptr[node + 1]):
                    indegree[out_dst[k]] -= 1
            if length >= min_hits:
                for i in range(length):
                    labels[path[i]] = next_label
                next_label += 1
    return labels
