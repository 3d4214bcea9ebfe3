"""The k nearest allowed neighbours (layer-pair filter inside the search) against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from trackgnn.embedding import GraphConfig
from trackgnn.graph import ALLOWED_SEARCH_BACKENDS, PairFilter, allowed_neighbours, radius_graph
from trackgnn.graph._kdtree import allowed_knn, build_tree, nearest_points


def _points(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-1, 1, size=(max(1, n // 12), dim))
    return (centres[rng.integers(0, len(centres), n)] + rng.normal(0, 0.05, (n, dim))).astype(np.float32)


def _pair_filter(n: int, n_layers: int = 7, seed: int = 0) -> PairFilter:
    rng = np.random.default_rng(seed)
    table = rng.random((n_layers, n_layers)) < 0.4
    return PairFilter(rng.integers(0, n_layers, n).astype(np.int64), table | table.T)


def _brute_force(x: np.ndarray, r: float, k: int, pairs: PairFilter | None) -> list[list[int]]:
    """Per point: its k nearest allowed others within r (float64 distances), nearest first."""
    x = x.astype(np.float64)
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    d2[d2 >= r * r] = np.inf
    if pairs is not None:
        d2[~pairs.table[pairs.rows][:, pairs.rows]] = np.inf
    order = np.argsort(d2, axis=1, kind="stable")[:, :k]
    return [[int(j) for j in row if np.isfinite(d2[i, j])] for i, row in enumerate(order)]


def _per_query(src: np.ndarray, dst: np.ndarray, n: int) -> list[list[int]]:
    rows: list[list[int]] = [[] for _ in range(n)]
    for i, j in zip(src.tolist(), dst.tolist()):
        rows[i].append(j)
    return rows


@pytest.mark.parametrize("backend", ALLOWED_SEARCH_BACKENDS)
@pytest.mark.parametrize("k", [1, 5, 30])
def test_allowed_neighbours_are_the_k_nearest_allowed(backend, k):
    x = _points(900, seed=1)
    pairs = _pair_filter(len(x), seed=2)
    src, dst = allowed_neighbours(x, 0.2, k, pairs, backend=backend, chunk_size=250)
    got = _per_query(src, dst, len(x))
    expected = _brute_force(x, 0.2, k, pairs)
    assert sum(map(len, expected)) > 0.5 * len(x) * min(k, 3)  # not vacuous
    assert got == expected  # the same neighbours, nearest first
    assert pairs.table[pairs.rows[src], pairs.rows[dst]].all()


@pytest.mark.parametrize("backend", ALLOWED_SEARCH_BACKENDS)
def test_without_filter_the_k_nearest_within_the_radius(backend):
    x = _points(700, seed=3)
    src, dst = allowed_neighbours(torch.from_numpy(x), 0.15, 12, None, backend=backend)
    dist, idx = cKDTree(x.astype(np.float64)).query(x, k=13, distance_upper_bound=0.15)
    expected = [[int(j) for j in row[1:] if j < len(x)] for row in idx]  # row[0]: the point itself
    assert _per_query(src, dst, len(x)) == expected


def test_hits_keep_neighbours_beyond_the_first_disallowed_ones():
    """A point whose nearest points are all disallowed still finds its allowed ones further away,
    which a search of the ``search_k`` nearest followed by the filter misses."""
    rng = np.random.default_rng(4)
    near = rng.normal(0, 0.01, (40, 3))  # a crowd around the origin, all on layer 1
    far = np.array([[0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]])  # three points on layer 2
    x = np.concatenate([[[0.0, 0.0, 0.0]], near, far]).astype(np.float32)
    rows = np.array([0] + [1] * 40 + [2] * 3, np.int64)
    table = np.zeros((3, 3), bool)
    table[0, 2] = table[2, 0] = True
    pairs = PairFilter(rows, table)
    src, dst = allowed_neighbours(x, 0.5, 3, pairs, backend="kdtree")
    assert sorted(dst[src == 0].tolist()) == [41, 42, 43]
    key = np.arange(len(x), dtype=np.float64)
    limited = radius_graph(x, key, 0.5, 3, backend="kdtree", keep=pairs, search_k=10)
    assert limited.shape[1] == 0  # the 10 nearest of point 0 are all on layer 1
    full = radius_graph(x, key, 0.5, 3, backend="kdtree", keep=pairs, search_k="all")
    assert {(0, 41), (0, 42), (0, 43)} <= set(map(tuple, full.t().tolist()))


@pytest.mark.parametrize("backend", ALLOWED_SEARCH_BACKENDS)
def test_radius_graph_search_all_equals_the_reference(backend):
    x = _points(800, seed=5)
    key = np.random.default_rng(6).uniform(0, 1000, len(x)).round(0)
    pairs = _pair_filter(len(x), seed=7)
    fused = radius_graph(x, key, 0.2, 8, backend=backend, keep=pairs, search_k="all")
    reference = radius_graph(x, key, 0.2, 8, backend=backend, keep=pairs, search_k="all", fused=False)
    assert fused.shape[1] > 1000
    assert torch.equal(fused, reference)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_tiny_inputs(n):
    x = _points(n) if n else np.zeros((0, 8), np.float32)
    src, dst = allowed_neighbours(x, 10.0, 5, None)
    assert (src != dst).all() and len(src) == max(0, n * (n - 1))


def test_degenerate_trees_stay_exact():
    """Repeated points (a node that cannot split) and points at powers of two on a line (each
    sliding-midpoint split takes one point off: a tree deeper than the stacks, whose deepest
    node stays a larger leaf)."""
    same = np.zeros((300, 4), np.float32)
    tree = build_tree(same, leaf_size=8)
    dist2, idx = allowed_knn(tree, 1.0, 4)
    assert (idx >= 0).all() and (dist2 == 0).all() and (idx != np.arange(300)[:, None]).all()
    line = np.zeros((400, 2), np.float64)
    line[:, 0] = 2.0 ** np.arange(400)
    tree = build_tree(line, leaf_size=1)
    assert (tree.left >= 0).sum() > 100 and (tree.stop - tree.start)[tree.left < 0].max() > 100  # deep; one big leaf
    dist2, idx = allowed_knn(tree, 1e150, 2)
    expected = [sorted(range(max(0, i - 2), min(400, i + 3)), key=lambda j: (abs(line[j, 0] - line[i, 0]), j))[1:3]
                for i in range(400)]
    assert idx.tolist() == expected


def test_faiss_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="FAISS cannot"):
        allowed_neighbours(_points(50), 0.2, 4, None, backend="faiss")
    with pytest.raises(ValueError, match="search_k 'all'.*backend 'faiss'"):
        GraphConfig(r=0.1, k=5, backend="faiss", search_k="all")
    assert GraphConfig(r=0.1, k=5, search_k="all").search_k == "all"


@pytest.mark.parametrize("k", [1, 8, 40])
def test_nearest_points_of_outside_queries_match_scipy(k):
    """Query points that are not tree points (track following's predicted crossings), with a radius."""
    rng = np.random.default_rng(8)
    points = rng.normal(0, 100, (3000, 3))
    queries = np.concatenate([points[:500] + rng.normal(0, 2, (500, 3)), rng.normal(0, 100, (300, 3))])
    dist2, idx = nearest_points(build_tree(points), queries, 15.0, k)
    dist, expected = cKDTree(points).query(queries, k=k, distance_upper_bound=15.0)
    dist, expected = dist.reshape(len(queries), k), expected.reshape(len(queries), k)
    assert np.isfinite(dist).sum() > 0.5 * len(queries) * min(k, 3)  # not vacuous
    assert np.array_equal(np.where(idx < 0, len(points), idx), expected)
    np.testing.assert_allclose(np.sqrt(dist2), dist, rtol=1e-12)
    assert nearest_points(build_tree(points), np.zeros((0, 3)), 15.0, k)[1].shape == (0, k)
