"""Clusters of pixel/strip channels, measured hit positions and noise hits.

A particle crossing a module deposits charge along its path through the
silicon.  The path (entry to exit in the module's local u, v frame, widened by
a little diffusion) is sampled in small steps; the channels those steps fall
in form the cluster, each getting the charge of its steps.  The channel grid
has pitch ``pitch_u`` x ``pitch_v`` starting at the module's corner, so
``ch0`` counts along u and ``ch1`` along v.  The measured hit is the
charge-weighted centre of the cluster's channels, which gives the usual
pitch/sqrt(12) resolution for one-channel clusters (pixels: ~15 um in both
directions; strips: coarse along v, 0.35 mm for short and 3 mm for long
strips), and clusters that grow with the crossing angle and the thickness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trackgnn.simulation._geometry import Geometry

__all__ = ["Clusters", "digitise", "deposited_energy", "noise_hits"]

_DIFFUSION = 0.004  # half-width of the charge cloud at the collection plane [mm]
_DEDX_MPV = 0.28  # most probable energy loss of a MIP in silicon [MeV/mm]
_LANDAU_WIDTH = 0.08  # relative width of the energy-loss fluctuations
_MAX_STEPS = 48  # longest cluster followed (channels along the longer direction)


@dataclass
class Clusters:
    """Channels of the hits (``cell_*``, flat over hits) and the measured hit positions."""

    cell_hit: np.ndarray  # (n_cells,) int64 row of the hit
    cell_ch0: np.ndarray  # (n_cells,) int32 channel along u
    cell_ch1: np.ndarray  # (n_cells,) int32 channel along v
    cell_value: np.ndarray  # (n_cells,) float64 deposited energy [MeV]
    measured: np.ndarray  # (n_hits, 3) measured global position [mm]


def _channel_grid(geo: Geometry, module: np.ndarray):
    half_u = np.maximum(geo.min_hu[module], geo.max_hu[module])
    n_u = np.maximum(np.round(2.0 * half_u / geo.pitch_u[module]).astype(np.int64), 1)
    n_v = np.maximum(np.round(2.0 * geo.hv[module] / geo.pitch_v[module]).astype(np.int64), 1)
    return half_u, n_u, n_v


def digitise(
    geo: Geometry,
    module: np.ndarray,
    local: np.ndarray,
    local_dir: np.ndarray,
    energy: np.ndarray,
) -> Clusters:
    """Clusters and measured positions of hits.

    Parameters
    ----------
    module : (n,) int
        Module rows of the hits.
    local : (n, 2)
        True (u, v) of the crossing with the module mid-plane [mm].
    local_dir : (n, 3)
        Unit direction in the local (u, v, w) frame.
    energy : (n,)
        Deposited energy of each hit [MeV].
    """
    n = len(module)
    thickness = geo.thickness[module]
    pu, pv = geo.pitch_u[module], geo.pitch_v[module]
    half_u, n_u, n_v = _channel_grid(geo, module)
    hv = geo.hv[module]
    w = np.where(np.abs(local_dir[:, 2]) < 1e-3, 1e-3, local_dir[:, 2])
    # path through the thickness, capped at the module size
    du = np.clip(thickness * local_dir[:, 0] / w, -2.0 * half_u, 2.0 * half_u)
    dv = np.clip(thickness * local_dir[:, 1] / w, -2.0 * hv, 2.0 * hv)
    ext_u = np.abs(du) + 2.0 * _DIFFUSION
    ext_v = np.abs(dv) + 2.0 * _DIFFUSION
    steps = np.clip(np.ceil(np.maximum(ext_u / pu, ext_v / pv)).astype(np.int64) * 2 + 1, 1, 2 * _MAX_STEPS + 1)
    hit = np.repeat(np.arange(n), steps)
    first = np.repeat(np.cumsum(steps) - steps, steps)
    frac = (np.arange(len(hit)) - first + 0.5) / steps[hit] - 0.5
    sign_u = np.where(du < 0, -1.0, 1.0)[hit]
    sign_v = np.where(dv < 0, -1.0, 1.0)[hit]
    u = local[hit, 0] + frac * ext_u[hit] * sign_u
    v = local[hit, 1] + frac * ext_v[hit] * sign_v
    ch0 = np.clip(np.floor((u + half_u[hit]) / pu[hit]).astype(np.int64), 0, n_u[hit] - 1)
    ch1 = np.clip(np.floor((v + hv[hit]) / pv[hit]).astype(np.int64), 0, n_v[hit] - 1)
    # merge steps falling in the same channel
    key = (hit * (1 << 20) + ch0) * (1 << 20) + ch1
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    cell_hit = uniq >> 40
    cell_ch0 = (uniq >> 20) & ((1 << 20) - 1)
    cell_ch1 = uniq & ((1 << 20) - 1)
    value = energy[cell_hit] * counts / steps[cell_hit]
    # charge-weighted centre of the cluster
    u_c = (cell_ch0 + 0.5) * pu[cell_hit] - half_u[cell_hit]
    v_c = (cell_ch1 + 0.5) * pv[cell_hit] - hv[cell_hit]
    total = np.bincount(cell_hit, weights=value, minlength=n)
    u_m = np.bincount(cell_hit, weights=value * u_c, minlength=n) / total
    v_m = np.bincount(cell_hit, weights=value * v_c, minlength=n) / total
    v_m = np.clip(v_m, -hv, hv)
    hu = geo.half_width_u(module, v_m)
    u_m = np.clip(u_m, -hu, hu)
    measured = geo.to_global(module, np.stack([u_m, v_m, np.zeros(n)], axis=1))
    return Clusters(cell_hit, cell_ch0.astype(np.int32), cell_ch1.astype(np.int32), value, measured)


def deposited_energy(rng: np.random.Generator, geo: Geometry, module: np.ndarray, local_dir: np.ndarray) -> np.ndarray:
    """Energy lost in the silicon [MeV]: path length x MIP dE/dx with Landau-like fluctuations.

    The fluctuation is a Moyal variate (``-ln(Z^2)``, Z standard normal).
    """
    path = geo.thickness[module] / np.maximum(np.abs(local_dir[:, 2]), 0.02)
    moyal = -np.log(np.maximum(rng.standard_normal(len(module)) ** 2, 1e-12))
    return path * _DEDX_MPV * np.maximum(1.0 + _LANDAU_WIDTH * moyal, 0.2)


def noise_hits(rng: np.random.Generator, geo: Geometry, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` noise hits on modules drawn uniformly (every module equally likely).

    Module-uniform noise puts most noise hits in the strip layers, which have
    the most modules; with it the simulated share of hits per volume matches
    the real one (REFERENCE §3) better than area-proportional noise does.

    Returns ``(module, local_uv, local_dir)``: the module rows, a uniform point
    on each module and a direction normal to it (one- or two-channel clusters).
    """
    module = rng.integers(0, len(geo.hv), n)
    v = rng.uniform(-1.0, 1.0, n) * geo.hv[module]
    u = rng.uniform(-1.0, 1.0, n) * geo.half_width_u(module, v)
    direction = np.tile(np.array([0.0, 0.0, 1.0]), (n, 1))
    return module.astype(np.int64), np.stack([u, v], axis=1), direction
