"""One battery of checks over every neighbour-search backend."""

from __future__ import annotations

import numpy as np
import pytest

from trackgnn.graph import BACKENDS, knn_within_radius, orient_edges, radius_graph, resolve_backend

ALL = sorted(BACKENDS)


def _clustered(n=3000, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-1, 1, size=(n // 10, dim))
    return (centres[rng.integers(0, len(centres), n)] + rng.normal(0, 0.05, (n, dim))).astype(np.float32)


def _reference(x, r, k):
    """Brute force in float64: k nearest others within r."""
    from scipy.spatial.distance import cdist

    d = cdist(x.astype(np.float64), x.astype(np.float64))
    np.fill_diagonal(d, np.inf)
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    rows = np.repeat(np.arange(len(x)), order.shape[1])
    cols = order.reshape(-1)
    inside = d[rows, cols] < r
    return set(zip(rows[inside].tolist(), cols[inside].tolist())), d


def _assert_same_up_to_ties(got: set, ref: dict, d: np.ndarray, r: float, k: int):
    """Differences may only come from rounding at the radius or ties at the k-th distance."""
    kth = np.sort(d, axis=1)[:, k - 1]
    for i, j in got.symmetric_difference(ref):
        near_radius = abs(d[i, j] - r) < 1e-5
        near_kth = abs(d[i, j] - kth[i]) < 1e-5
        assert near_radius or near_kth, f"pair {(i, j)} at distance {d[i, j]} differs"


@pytest.mark.parametrize("backend", ALL)
@pytest.mark.parametrize("k", [5, 1000])
def test_backend_matches_brute_force(backend, k):
    x = _clustered(1500)
    r = 0.15
    src, dst = knn_within_radius(x, r, k, backend=backend)
    got = set(zip(src.tolist(), dst.tolist()))
    ref, d = _reference(x, r, k)
    assert len(got) > 1000  # the test is not vacuous
    _assert_same_up_to_ties(got, ref, d, r, min(k, len(x) - 1))
    assert all(i != j for i, j in got)
    assert np.bincount(src, minlength=len(x)).max() <= k


def test_backends_agree_with_each_other():
    x = _clustered(4000, dim=12, seed=3)
    results = {b: set(zip(*(a.tolist() for a in knn_within_radius(x, 0.2, 30, backend=b)))) for b in ALL}
    assert len(results["faiss"]) > 5000
    _, d = _reference(x, 0.2, 30)
    for b in ALL:
        _assert_same_up_to_ties(results[b], results["faiss"], d, 0.2, 30)


@pytest.mark.parametrize("backend", ALL)
def test_chunked_equals_unchunked(backend):
    x = _clustered(2500, seed=1)
    whole = knn_within_radius(x, 0.2, 20, backend=backend)
    chunked = knn_within_radius(x, 0.2, 20, backend=backend, chunk_size=333)
    np.testing.assert_array_equal(whole[0], chunked[0])
    np.testing.assert_array_equal(whole[1], chunked[1])


def test_unknown_backend_and_bad_arguments():
    with pytest.raises(ValueError, match=r"could not resolve graph backend 'annoy' among \['auto', 'faiss', 'kdtree', 'torch'\]"):
        resolve_backend("annoy")
    with pytest.raises(ValueError, match="radius must be > 0"):
        knn_within_radius(np.zeros((3, 2), np.float32), 0.0, 3)


def test_orientation_inner_to_outer_and_deduplicated():
    key = np.array([10.0, 5.0, 20.0, 5.0])
    src = np.array([0, 1, 2, 0, 1, 3, 2])
    dst = np.array([1, 0, 0, 2, 3, 1, 2])  # (0,1) twice, (0,2) twice, (1,3) twice, self pair
    edges = orient_edges(src, dst, key)
    assert edges.tolist() == [[0, 1, 1], [2, 0, 3]]  # 1->0 (5 < 10), 0->2, 1->3 (tie: lower index)


def test_radius_graph_orients_every_edge_outward():
    x = _clustered(800, seed=2)
    key = np.random.default_rng(0).uniform(0, 1000, len(x))
    edges = radius_graph(x, key, 0.2, 10).numpy()
    assert edges.shape[1] > 0
    assert (key[edges[0]] <= key[edges[1]]).all()
    codes = np.minimum(edges[0], edges[1]) * len(x) + np.maximum(edges[0], edges[1])
    assert len(np.unique(codes)) == edges.shape[1]
