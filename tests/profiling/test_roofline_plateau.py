"""Plateau detection and level naming on synthetic curves with known levels."""

from __future__ import annotations

import numpy as np
import pytest

from trackgnn.profiling import detect_plateaus, level_bandwidths, name_levels

CAPACITIES = [("L1", 64e3), ("L2", 2e6), ("L3", 32e6)]


def ladder(levels, step=1.1, n=120, noise=0.02, seed=0):
    """Bandwidth vs size: flat levels with linear transitions from 0.75x to 1.5x each capacity."""
    rng = np.random.default_rng(seed)
    sizes = 4096 * step ** np.arange(n)
    values = []
    for s in sizes:
        for i, (cap, bw) in enumerate(levels):
            if s <= 0.75 * cap:
                values.append(bw)
                break
            if s <= 1.5 * cap:
                frac = (s - 0.75 * cap) / (0.75 * cap)
                values.append(bw + (levels[i + 1][1] - bw) * frac)
                break
    return sizes, np.asarray(values) * (1 + noise * rng.standard_normal(len(values)))


def test_four_known_levels_are_found_and_named():
    sizes, values = ladder([(64e3, 400), (2e6, 200), (32e6, 100), (np.inf, 30)])
    values[30] *= 0.5  # one point hit by another process
    plateaus = detect_plateaus(sizes, values)
    assert len(plateaus) == 4
    assert [p.value for p in plateaus] == pytest.approx([400, 200, 100, 30], rel=0.03)
    named = name_levels(plateaus, CAPACITIES)
    assert list(named) == ["L1", "L2", "L3", "DRAM"]
    assert [p.name for p in plateaus] == ["L1", "L2", "L3", "DRAM"]
    assert named["L2"].start_bytes > 64e3 and named["L2"].end_bytes < 2e6
    windows = level_bandwidths(sizes, values, CAPACITIES)
    assert [w["value"] for w in windows.values()] == pytest.approx([400, 200, 100, 30], rel=0.03)


def test_levels_closer_than_15_percent_merge():
    sizes, values = ladder([(64e3, 200), (2e6, 190), (32e6, 100), (np.inf, 30)], noise=0.01)
    plateaus = detect_plateaus(sizes, values)
    assert len(plateaus) == 3
    named = name_levels(plateaus, CAPACITIES)
    assert plateaus[0].name == "L1+L2"
    assert named["L1"] is named["L2"]
    # the per-level windows still report both levels
    assert set(level_bandwidths(sizes, values, CAPACITIES)) == {"L1", "L2", "L3", "DRAM"}


def test_short_runs_are_not_plateaus():
    values = [400.0] * 8 + [200.0] * 3 + [100.0] * 8
    sizes = 4096 * 1.3 ** np.arange(len(values))
    assert [p.value for p in detect_plateaus(sizes, values, min_points=6)] == [400, 100]
    assert [p.value for p in detect_plateaus(sizes, values, min_points=3)] == [400, 200, 100]


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="equal length"):
        detect_plateaus([1, 2, 3], [1, 2])
