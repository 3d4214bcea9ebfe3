"""Hard-negative mining on the CPU (KD-tree + compiled selection) keeps the pairs it always kept."""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import cKDTree

from trackgnn.embedding._pairs import hard_negative_pairs


def test_tree_mining_equals_the_numpy_filter():
    rng = np.random.default_rng(0)
    points = rng.normal(0, 0.1, (2000, 8)).astype(np.float32)
    queries = torch.from_numpy(rng.permutation(2000)[:300])
    r, k = 0.25, 12
    got = hard_negative_pairs(torch.from_numpy(points), queries, r, k)
    q = queries.numpy()
    dist, idx = cKDTree(points).query(points[q], k=k + 1, distance_upper_bound=r)
    rows, cols = np.nonzero((idx < len(points)) & (idx != q[:, None]) & (dist < r))
    assert 0 < len(rows) < len(q) * k  # some queries have fewer than k neighbours within r
    assert got.dtype == torch.int64
    np.testing.assert_array_equal(got.numpy(), np.stack([q[rows], idx[rows, cols]]))
    assert hard_negative_pairs(torch.from_numpy(points), queries[:0], r, k).shape == (2, 0)
