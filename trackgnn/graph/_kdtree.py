"""A compiled KD-tree whose search keeps only allowed pairs: each point's ``k`` nearest *allowed*
points within ``r``.

``scipy.spatial.cKDTree`` can only return the ``kk`` nearest points of any kind; with a
layer-pair filter most of them are thrown away afterwards, and the search time grows with ``kk``.
Here the filter runs inside the search: a disallowed point never enters a query's heap, so the
heap holds ``k`` points and its worst distance (the pruning bound) shrinks as soon as ``k``
allowed points are found.

The tree splits the widest side of each node at its midpoint (sliding to the nearest point when
one side would be empty), stores the points in leaf order and a tight bounding box per node, and
answers the queries on worker threads (the kernels release the GIL).  Compiled on first use and
cached on disk.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

__all__ = ["KDTree", "build_tree", "allowed_knn", "nearest_points"]

#: Depth of the deepest node (deeper nodes stay leaves); bounds the search stack.
_MAX_DEPTH = 128
#: Queries per worker thread at least (fewer: one thread).
_MIN_ROWS_PER_THREAD = 4096
#: Points per leaf: 64 searched fastest on 110k embedded hits in 8 dimensions (16: 1.15x slower).
LEAF_SIZE = 64


class KDTree(NamedTuple):
    """Nodes of a KD-tree over ``points`` (see :func:`build_tree`).

    Attributes
    ----------
    points : ndarray of shape (n, d), float64
        The points in leaf order.
    order : ndarray of shape (n,), int64
        Original index of each row of ``points``.
    start, stop : ndarray of shape (nodes,), int64
        Rows of ``points`` under each node.
    left, right : ndarray of shape (nodes,), int64
        Children (-1 for a leaf).
    split_dim : ndarray of shape (nodes,), int64
    split_value : ndarray of shape (nodes,), float64
    lower, upper : ndarray of shape (nodes, d), float64
        Tight bounding box of each node's points.
    """

    points: np.ndarray
    order: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    left: np.ndarray
    right: np.ndarray
    split_dim: np.ndarray
    split_value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


@njit(cache=True, nogil=True)
def _build(points, leaf_size):
    n, d = points.shape
    capacity = 2 * n + 1  # every split leaves >= 1 point on each side
    order = np.arange(n)
    start = np.empty(capacity, np.int64)
    stop = np.empty(capacity, np.int64)
    left = np.full(capacity, -1, np.int64)
    right = np.full(capacity, -1, np.int64)
    split_dim = np.zeros(capacity, np.int64)
    split_value = np.zeros(capacity, np.float64)
    lower = np.empty((capacity, d), np.float64)
    upper = np.empty((capacity, d), np.float64)
    depth = np.zeros(capacity, np.int64)
    start[0], stop[0] = 0, n
    n_nodes = 1
    stack = np.empty(_MAX_DEPTH + 2, np.int64)
    stack[0] = 0
    top = 1
    while top > 0:
        top -= 1
        node = stack[top]
        a, b = start[node], stop[node]
        for c in range(d):
            lower[node, c] = np.inf
            upper[node, c] = -np.inf
        for i in range(a, b):
            p = order[i]
            for c in range(d):
                v = points[p, c]
                if v < lower[node, c]:
                    lower[node, c] = v
                if v > upper[node, c]:
                    upper[node, c] = v
        if b - a <= leaf_size or depth[node] >= _MAX_DEPTH:
            continue  # a leaf (a node at the maximum depth: a larger one)
        dim = 0
        for c in range(1, d):
            if upper[node, c] - lower[node, c] > upper[node, dim] - lower[node, dim]:
                dim = c
        if upper[node, dim] <= lower[node, dim]:
            continue  # all points equal: a leaf
        value = 0.5 * (lower[node, dim] + upper[node, dim])
        i, j = a, b - 1
        while i <= j:  # points below value first
            if points[order[i], dim] < value:
                i += 1
            else:
                order[i], order[j] = order[j], order[i]
                j -= 1
        if i == a:  # nothing below: slide the split up to the smallest point
            best = a
            for t in range(a, b):
                if points[order[t], dim] < points[order[best], dim]:
                    best = t
            order[a], order[best] = order[best], order[a]
            value = points[order[a], dim]
            i = a + 1
        elif i == b:  # nothing above: slide down to the largest point
            best = a
            for t in range(a, b):
                if points[order[t], dim] > points[order[best], dim]:
                    best = t
            order[b - 1], order[best] = order[best], order[b - 1]
            value = points[order[b - 1], dim]
            i = b - 1
        split_dim[node] = dim
        split_value[node] = value
        left[node], right[node] = n_nodes, n_nodes + 1
        start[n_nodes], stop[n_nodes] = a, i
        start[n_nodes + 1], stop[n_nodes + 1] = i, b
        depth[n_nodes] = depth[n_nodes + 1] = depth[node] + 1
        stack[top] = n_nodes
        stack[top + 1] = n_nodes + 1
        top += 2
        n_nodes += 2
    return (order, start[:n_nodes].copy(), stop[:n_nodes].copy(), left[:n_nodes].copy(), right[:n_nodes].copy(),
            split_dim[:n_nodes].copy(), split_value[:n_nodes].copy(), lower[:n_nodes].copy(), upper[:n_nodes].copy())


def build_tree(points: np.ndarray, leaf_size: int = LEAF_SIZE) -> KDTree:
    """A :class:`KDTree` over ``points`` (n, d) with at most ``leaf_size`` points per leaf."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    order, start, stop, left, right, split_dim, split_value, lower, upper = _build(points, max(1, int(leaf_size)))
    return KDTree(np.ascontiguousarray(points[order]), order, start, stop, left, right, split_dim, split_value,
                  lower, upper)


@njit(cache=True, nogil=True)
def _search(points, start, stop, left, right, split_dim, split_value, lower, upper, order, queries, query_rows,
            skip, out_rows, rows, table, filtered, bound, k, first, last, out_dist, out_idx):
    """Queries ``first:last``: each one's ``k`` nearest tree points with squared distance < ``bound``
    other than tree row ``skip[q]`` (-1: none), and with ``filtered`` only those whose pair
    ``table[query_rows[q], rows[j]]`` is allowed; nearest first, into row ``out_rows[q]`` of
    ``out_dist`` / ``out_idx`` (original point indices ``order[j]``; inf and -1 pad)."""
    d = points.shape[1]
    heap_d = np.empty(k, np.float64)
    heap_i = np.empty(k, np.int64)
    stack = np.empty(_MAX_DEPTH + 2, np.int64)  # one pending sibling per level, at most
    for q in range(first, last):
        size = 0
        worst = bound  # pruning bound: the bound until k points are in the heap, then the heap's worst
        row_q = query_rows[q] if filtered else 0
        own = skip[q]
        stack[0] = 0
        top = 1
        while top > 0:
            top -= 1
            node = stack[top]
            gap = 0.0
            for c in range(d):
                x = queries[q, c]
                if x < lower[node, c]:
                    t = lower[node, c] - x
                    gap += t * t
                elif x > upper[node, c]:
                    t = x - upper[node, c]
                    gap += t * t
            if gap >= worst:
                continue
            if left[node] < 0:
                for j in range(start[node], stop[node]):
                    if j == own:
                        continue
                    dist = 0.0
                    for c in range(d):
                        t = points[j, c] - queries[q, c]
                        dist += t * t
                    if dist >= worst:
                        continue
                    if filtered and not table[row_q, rows[j]]:
                        continue
                    if size < k:  # sift up into the max-heap
                        pos = size
                        size += 1
                    else:  # replace the root, sift down
                        pos = 0
                        while True:
                            child = 2 * pos + 1
                            if child >= k:
                                break
                            if child + 1 < k and heap_d[child + 1] > heap_d[child]:
                                child += 1
                            if heap_d[child] <= dist:
                                break
                            heap_d[pos] = heap_d[child]
                            heap_i[pos] = heap_i[child]
                            pos = child
                        heap_d[pos] = dist
                        heap_i[pos] = j
                        worst = heap_d[0]
                        continue
                    while pos > 0:
                        parent = (pos - 1) // 2
                        if heap_d[parent] >= dist:
                            break
                        heap_d[pos] = heap_d[parent]
                        heap_i[pos] = heap_i[parent]
                        pos = parent
                    heap_d[pos] = dist
                    heap_i[pos] = j
                    if size == k:
                        worst = heap_d[0]
                continue
            near, far = left[node], right[node]
            if queries[q, split_dim[node]] >= split_value[node]:
                near, far = far, near
            stack[top] = far
            stack[top + 1] = near
            top += 2
        # heap → ascending (insertion sort of at most k entries)
        for a in range(1, size):
            vd, vi = heap_d[a], heap_i[a]
            b = a - 1
            while b >= 0 and (heap_d[b] > vd or (heap_d[b] == vd and heap_i[b] > vi)):
                heap_d[b + 1] = heap_d[b]
                heap_i[b + 1] = heap_i[b]
                b -= 1
            heap_d[b + 1] = vd
            heap_i[b + 1] = vi
        row = out_rows[q]
        for a in range(size):
            out_dist[row, a] = heap_d[a]
            out_idx[row, a] = order[heap_i[a]]
        for a in range(size, k):
            out_dist[row, a] = np.inf
            out_idx[row, a] = -1


def allowed_knn(tree: KDTree, r: float, k: int, rows: np.ndarray | None = None, table: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Each point's ``k`` nearest other points closer than ``r`` whose pair ``table[rows[i], rows[j]]``
    is allowed (every pair without ``rows``), nearest first; the queries run on
    ``torch.get_num_threads()`` worker threads.

    Parameters
    ----------
    tree : KDTree
        From :func:`build_tree`.
    r : float
    k : int
    rows : ndarray of shape (n,), int64, optional
        Row of each point (original order) in ``table``.
    table : ndarray of shape (L, L), bool, optional

    Returns
    -------
    (dist2, idx) : ndarrays of shape (n, k)
        Squared distances (inf pads) and original point indices (-1 pads), row ``i`` for point ``i``.
    """
    n = len(tree.order)
    filtered = rows is not None and table is not None
    tree_rows = np.asarray(rows, np.int64)[tree.order] if filtered else np.zeros(1, np.int64)
    table = np.asarray(table, np.bool_) if filtered else np.ones((1, 1), np.bool_)
    self_rows = np.arange(n, dtype=np.int64)  # the tree's own points, in leaf order: each skips itself
    return _run_search(tree, tree.points, tree_rows, self_rows, tree.order, tree_rows, table, filtered, r, k)


def nearest_points(tree: KDTree, queries: np.ndarray, r: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each query point's ``k`` nearest tree points closer than ``r``, nearest first (what
    ``scipy.spatial.cKDTree.query(queries, k, distance_upper_bound=r)`` returns, with squared
    distances and -1 pads); the queries run on ``torch.get_num_threads()`` worker threads.

    Parameters
    ----------
    tree : KDTree
    queries : ndarray of shape (m, d)
    r : float
    k : int

    Returns
    -------
    (dist2, idx) : ndarrays of shape (m, k)
        Squared distances (inf pads) and original point indices (-1 pads).
    """
    queries = np.ascontiguousarray(queries, dtype=np.float64).reshape(-1, tree.points.shape[1])
    m = len(queries)
    none = np.zeros(1, np.int64)
    return _run_search(tree, queries, none, np.full(m, -1, np.int64), np.arange(m, dtype=np.int64), none,
                       np.ones((1, 1), np.bool_), False, r, k)


def _run_search(tree: KDTree, queries: np.ndarray, query_rows: np.ndarray, skip: np.ndarray, out_rows: np.ndarray,
                rows: np.ndarray, table: np.ndarray, filtered: bool, r: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_search` over every query, ranges of queries on worker threads (each writes its own
    ``out_rows``); returns the (m, k) squared distances and indices."""
    from trackgnn.models._row_threads import run_row_ranges

    m = len(queries)
    dist2 = np.empty((m, k), np.float64)
    idx = np.empty((m, k), np.int64)
    args = (tree.points, tree.start, tree.stop, tree.left, tree.right, tree.split_dim, tree.split_value,
            tree.lower, tree.upper, tree.order, queries, query_rows, skip, out_rows, rows, table, filtered,
            float(r) * float(r), int(k))

    def work(first: int, last: int) -> None:
        _search(*args, first, last, dist2, idx)

    if m:
        run_row_ranges(work, m, min_rows=_MIN_ROWS_PER_THREAD)
    return dist2, idx
