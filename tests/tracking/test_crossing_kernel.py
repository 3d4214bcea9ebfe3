"""The compiled next-crossing search equals the (tracks, surfaces) NumPy formulation it replaced."""

from __future__ import annotations

import numpy as np

from trackgnn.tracking._crossing_kernel import next_crossings
from trackgnn.tracking._surfaces import detector_surfaces

MIN_STEP, MAX_STEP = 10.0, 800.0


def _reference(cx, cy, radius, sense, angle, slope, z, surfaces):
    """Every helix against every surface at once, as track following computed it before."""
    centre, offset = np.hypot(cx, cy), np.arctan2(cy, cx)
    r, rad = surfaces.barrel_r[None, :], radius[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        q = (r * r - centre[:, None] ** 2 - rad * rad) / (2 * rad * centre[:, None])
    reachable = np.abs(q) <= 1.0
    half_angle = np.arccos(np.clip(q, -1.0, 1.0))
    best = np.full(len(radius), np.inf)
    for side in (1.0, -1.0):
        s = rad * np.mod(sense[:, None] * (offset[:, None] + side * half_angle - angle[:, None]), 2 * np.pi)
        ok = reachable & (s > MIN_STEP) & (np.abs(z[:, None] + slope[:, None] * s) <= surfaces.barrel_z_max[None, :])
        best = np.minimum(best, np.where(ok, s, np.inf).min(axis=1))
    rise = np.where(np.abs(slope) > 1e-9, slope, 1e-9)
    s = (surfaces.disk_z[None, :] - z[:, None]) / rise[:, None]
    s = np.where((s > MIN_STEP) & (s <= MAX_STEP), s, np.nan)
    a = angle[:, None] + sense[:, None] * np.nan_to_num(s) / radius[:, None]
    r_disk = np.hypot(cx[:, None] + radius[:, None] * np.cos(a), cy[:, None] + radius[:, None] * np.sin(a))
    ok = np.isfinite(s) & (r_disk >= surfaces.disk_r_min[None, :]) & (r_disk <= surfaces.disk_r_max[None, :])
    best = np.minimum(best, np.where(ok, s, np.inf).min(axis=1))
    return np.where(best <= MAX_STEP, best, np.inf)


def test_next_crossings_equal_the_numpy_formulation():
    rng = np.random.default_rng(3)
    n = 20000
    point = rng.uniform(-1000.0, 1000.0, (n, 2))
    radius = np.exp(rng.uniform(np.log(100.0), np.log(1e6), n))  # 0.03-300 GeV circles in 2 T
    heading = rng.uniform(-np.pi, np.pi, n)
    sense = rng.choice([-1.0, 1.0], n)
    centre = point + radius[:, None] * np.column_stack([-np.sin(heading), np.cos(heading)]) * sense[:, None]
    centre[:3] = 0.0  # circles centred on the beam line: never at a cylinder's radius, no division error
    angle = np.arctan2(point[:, 1] - centre[:, 1], point[:, 0] - centre[:, 0])
    slope = np.concatenate([rng.normal(0.0, 3.0, n - 2), [0.0, 1e-12]])  # flat helices too
    z = rng.uniform(-3000.0, 3000.0, n)
    surfaces = detector_surfaces()
    args = (centre[:, 0].copy(), centre[:, 1].copy(), radius, sense, angle, slope, z)
    got = next_crossings(*args, surfaces.barrel_r, surfaces.barrel_z_max, surfaces.disk_z, surfaces.disk_r_min,
                         surfaces.disk_r_max, MIN_STEP, MAX_STEP)
    want = _reference(*args, surfaces)
    assert np.array_equal(np.isinf(got), np.isinf(want))
    assert 0.2 < np.isfinite(want).mean() < 0.9  # both outcomes are exercised
    np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-9)  # arccos near ±1 and SIMD vs libm: ~1e-11
