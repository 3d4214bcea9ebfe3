"""The compiled neighbour selection and orientation give the NumPy reference's edges exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trackgnn.graph import (
    BACKENDS,
    LayerPairMap,
    PairFilter,
    detector_layer_codes,
    knn_within_radius,
    orient_edges,
    radius_graph,
)
from trackgnn.graph._select import oriented_unique_edges

ALL = sorted(BACKENDS)


def _points(n: int, dim: int = 8, seed: int = 0, isolated: int = 0) -> np.ndarray:
    """Clustered points plus ``isolated`` far-away points with no neighbour within any small radius."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-1, 1, size=(max(1, n // 12), dim))
    x = centres[rng.integers(0, len(centres), n)] + rng.normal(0, 0.05, (n, dim))
    far = 10 + 5 * np.arange(isolated)[:, None] + np.zeros((isolated, dim))
    return np.concatenate([x, far]).astype(np.float32)


def _pair_filter(n: int, n_layers: int = 7, seed: int = 0) -> PairFilter:
    rng = np.random.default_rng(seed)
    table = rng.random((n_layers, n_layers)) < 0.4
    return PairFilter(rng.integers(0, n_layers, n).astype(np.int64), table | table.T)


def _both(x, key, r, k, backend="kdtree", chunk_size=None, keep=None, search_k=None):
    kwargs = dict(backend=backend, chunk_size=chunk_size, keep=keep, search_k=search_k)
    return radius_graph(x, key, r, k, fused=False, **kwargs), radius_graph(x, key, r, k, **kwargs)


@pytest.mark.parametrize("backend", ALL)
@pytest.mark.parametrize("k, search_k", [(4, 12), (10, 10), (50, 80)])
def test_fused_radius_graph_equals_reference(backend, k, search_k):
    x = _points(1500, seed=1, isolated=3)
    key = np.random.default_rng(2).uniform(0, 1000, len(x)).round(0)  # ties in the order key
    pairs = _pair_filter(len(x), seed=3)
    ref, new = _both(x, key, 0.15, k, backend, chunk_size=400, keep=pairs, search_k=search_k)
    assert ref.shape[1] > 500  # the test is not vacuous
    assert torch.equal(ref, new)
    isolated = np.arange(len(x) - 3, len(x))
    assert not np.isin(new.numpy(), isolated).any()
    plain_ref, plain_new = _both(x, key, 0.15, k, backend)
    assert torch.equal(plain_ref, plain_new)
    assert plain_new.shape[1] > ref.shape[1]


@pytest.mark.parametrize("n", [0, 1, 2, 30])
def test_fused_equals_reference_on_tiny_inputs(n):
    """Empty input, a lone point, and k larger than the points there are."""
    x = _points(n, seed=4)[:n]
    key = np.arange(n, dtype=np.float64)[::-1].copy()
    for keep, search_k in [(None, None), (_pair_filter(n, seed=5), 60)]:
        ref, new = _both(x, key, 0.5, 40, keep=keep, search_k=search_k)
        assert ref.dtype == new.dtype == torch.int64 and ref.shape[0] == new.shape[0] == 2
        assert torch.equal(ref, new)


def test_a_plain_callable_keep_still_works_fused():
    x = _points(800, seed=6)
    key = np.random.default_rng(7).uniform(0, 1, len(x))
    pairs = _pair_filter(len(x), seed=8)
    ref, _ = _both(x, key, 0.2, 6, keep=pairs, search_k=20)
    callable_keep = radius_graph(x, key, 0.2, 6, backend="kdtree", keep=lambda s, d: pairs(s, d), search_k=20)
    assert torch.equal(ref, callable_keep)


@pytest.mark.parametrize("backend", ALL)
def test_knn_pairs_equal_reference_in_order(backend):
    x = _points(1200, seed=9, isolated=2)
    ref = knn_within_radius(x, 0.2, 15, backend=backend, chunk_size=500, fused=False)
    new = knn_within_radius(x, 0.2, 15, backend=backend, chunk_size=500)
    assert ref[0].size > 1000
    for a, b in zip(ref, new):
        assert a.dtype == b.dtype == np.int64
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="reference selection"):
        knn_within_radius(x, 0.2, 15, backend=backend, search_k=30, fused=False)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("n", [100, 500, 5000])  # pairs per hit: ~200 (NumPy's sort per hit), ~40, ~4 (insertion)
def test_oriented_unique_edges_equals_orient_edges(seed, n):
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, n, 20000), rng.integers(0, n, 20000)  # duplicates, both orders, self pairs
    key = rng.integers(0, 50, n).astype(np.float64)  # many ties
    np.testing.assert_array_equal(oriented_unique_edges(src, dst, key), orient_edges(src, dst, key))
    empty = np.zeros(0, np.int64)
    np.testing.assert_array_equal(oriented_unique_edges(empty, empty, key), orient_edges(empty, empty, key))
    assert oriented_unique_edges(empty, empty, np.zeros(0)).shape == (2, 0)


def test_pair_filter_equals_allowed():
    codes = detector_layer_codes()
    rng = np.random.default_rng(10)
    layer = torch.from_numpy(np.r_[rng.choice(codes, 300), [1, 99999]])  # and two unknown layers
    src = torch.from_numpy(rng.integers(0, len(layer), 5000))
    dst = torch.from_numpy(rng.integers(0, len(layer), 5000))
    layer_map = LayerPairMap()
    assert torch.equal(layer_map.pair_filter(layer)(src, dst), layer_map.allowed(layer, src, dst))  # untrained
    edges = torch.from_numpy(rng.integers(0, 300, (2, 400)))
    layer_map.update(layer, edges)
    layer_map.update(layer, edges)
    allowed = layer_map.allowed(layer, src, dst)
    assert 0 < allowed.sum() < len(allowed)
    assert torch.equal(layer_map.pair_filter(layer)(src, dst), allowed)


def test_edge_lengths_and_truth_mask_without_truth():
    from trackgnn.graph import edge_lengths, truth_edge_mask

    rng = np.random.default_rng(11)
    x = torch.from_numpy(rng.normal(size=(200, 8)).astype(np.float32))
    edges = torch.from_numpy(rng.integers(0, 200, (2, 3000)))
    assert torch.equal(edge_lengths(x, edges), (x[edges[0]] - x[edges[1]]).norm(dim=-1))
    assert edge_lengths(x, edges[:, :0]).shape == (0,)
    found, is_truth = truth_edge_mask(edges, edges[:, :0], 200)
    assert found.shape == (0,) and is_truth.shape == (3000,) and not is_truth.any()
    found, is_truth = truth_edge_mask(edges, edges[:, :5].flip(0), 200)
    assert found.all() and is_truth[:5].all()
