"""Per-hit features from hits and cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trackgnn.processing import CELL_FEATURES, hit_features


def _hits():
    return pd.DataFrame({
        "hit_id": np.array([1, 2, 3], np.int32),
        "x": np.array([30.0, 0.0, -100.0], np.float32),
        "y": np.array([40.0, 72.0, 0.0], np.float32),
        "z": np.array([0.0, 100.0, -250.0], np.float32),
        "volume_id": np.array([8, 8, 7], np.int32),
        "layer_id": np.array([2, 4, 2], np.int32),
        "module_id": np.array([1, 2, 3], np.int32),
    })


def test_cylindrical_coordinates_and_eta():
    f = hit_features(_hits())
    np.testing.assert_allclose(f["r"], [50.0, 72.0, 100.0], rtol=1e-6)
    np.testing.assert_allclose(f["phi"], [np.arctan2(40, 30), np.pi / 2, np.pi], rtol=1e-6)
    np.testing.assert_allclose(f["z"], [0.0, 100.0, -250.0])
    expected_eta = -np.log(np.tan(np.arctan2([50.0, 72.0, 100.0], [0.0, 100.0, -250.0]) / 2))
    np.testing.assert_allclose(f["eta"], expected_eta, rtol=1e-5, atol=1e-6)
    assert all(v.dtype == np.float32 and v.shape == (3,) for v in f.values())


def test_cluster_features_from_cells():
    cells = pd.DataFrame({
        "hit_id": np.array([1, 1, 1, 3], np.int32),
        "ch0": np.array([10, 11, 12, 5], np.int32),
        "ch1": np.array([7, 7, 8, 5], np.int32),
        "value": np.array([0.5, 0.25, 0.25, 2.0], np.float32),
    })
    f = hit_features(_hits(), cells)
    np.testing.assert_allclose(f["cell_count"], [3, 0, 1])
    np.testing.assert_allclose(f["cell_val"], [1.0, 0.0, 2.0])
    np.testing.assert_allclose(f["lx"], [3, 0, 1])  # ch0 extent 10..12
    np.testing.assert_allclose(f["ly"], [2, 0, 1])  # ch1 extent 7..8


@pytest.mark.parametrize("cells", [None, pd.DataFrame(columns=["hit_id", "ch0", "ch1", "value"])])
def test_no_cells_gives_zero_cluster_features(cells):
    f = hit_features(_hits(), cells)
    for name in CELL_FEATURES:
        np.testing.assert_array_equal(f[name], 0.0)
