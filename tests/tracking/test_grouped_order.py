"""The linear-time grouped orders give NumPy's sorts exactly."""

from __future__ import annotations

import numpy as np
import pytest

from trackgnn.tracking._labels import order_by_group
from trackgnn.tracking._stitch import _innermost


@pytest.mark.parametrize("n, n_groups", [(0, 1), (1, 1), (50, 3), (5000, 800), (3000, 2)])
def test_order_by_group_is_lexsort(n, n_groups):
    """Small groups (insertion sort), large ones (merge sort) and ties in the key."""
    rng = np.random.default_rng(n)
    group = rng.integers(0, n_groups, n)
    key = rng.integers(0, 20, n).astype(np.float64) * 0.5  # many ties
    assert np.array_equal(order_by_group(group, key), np.lexsort((key, group)))
    tie = rng.integers(0, 5, n)
    assert np.array_equal(order_by_group(group, key, tie), np.lexsort((tie, key, group)))


def test_innermost_is_the_first_of_the_sorted_group():
    rng = np.random.default_rng(1)
    group = rng.integers(0, 400, 3000)
    r2 = rng.integers(0, 50, 3000).astype(np.float64)  # ties: the first hit wins
    best = _innermost(group, 450, r2)
    order = np.lexsort((r2, group))
    starts = order[np.r_[0, np.flatnonzero(np.diff(group[order])) + 1]]
    expected = np.full(450, -1)
    expected[group[starts]] = starts
    assert np.array_equal(best, expected)
    assert (best[400:] == -1).all()
