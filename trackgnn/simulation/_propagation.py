"""Helix propagation through the layers, with multiple scattering.

All particles are stepped together (numpy, vectorised over particles): at each
step every active particle moves along its helix in the solenoid field to the
next nominal layer surface it crosses, the modules near that point are looked
up, the exact crossing with each candidate module plane is solved on the helix
(Newton), the crossing is kept when it lies inside the module outline, and the
particle's direction is deflected by multiple scattering and its momentum
reduced by the mean ionisation loss in the material it crossed.  A particle stops when it leaves the tracking volume, when it has
turned by more than ``max_turning`` or after ``max_crossings`` layer crossings.

Helix convention: a particle of charge sign ``h`` at transverse direction
``phi`` turns clockwise (``phi`` decreasing) for ``h = +1`` in a field along
+z; ``alpha`` >= 0 is the turning angle, the transverse path is ``R * alpha``
and ``z`` advances by ``R * alpha * lam`` with ``lam = pz / pT``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trackgnn.simulation._config import SimulationConfig
from trackgnn.simulation._geometry import Geometry
from trackgnn.simulation._particles import ParticleSet

__all__ = ["Crossings", "propagate", "R_EXIT", "Z_EXIT"]

R_EXIT = 1030.0  # radius where particles leave the tracker [mm]
Z_EXIT = 3000.0  # |z| where particles leave the tracker [mm]
_X0_SILICON = 93.7  # radiation length of silicon [mm]
_DEDX_MIP = 0.388  # mean ionisation loss of a minimum-ionising particle in silicon [MeV/mm]
_P_STOP = 0.01  # particles slowed below this momentum stop [GeV]
_EPS_PATH = 1e-3  # a crossing closer than this along the transverse path is the current one [mm]
_NEWTON_STEPS = 4
# a module plane crossed further than this (transverse path) from the nominal surface is
# a crossing on another pass of the helix, not this layer crossing [mm]
_MAX_PLANE_DISTANCE = 20.0


@dataclass
class Crossings:
    """Module crossings of all particles, ordered by particle then along the path.

    ``particle`` indexes the input :class:`ParticleSet`.  ``position`` is the
    true crossing with the module mid-plane [mm], ``direction`` the unit
    direction there and ``momentum`` the magnitude |p| there [GeV].
    """

    particle: np.ndarray  # (n,) int64
    module: np.ndarray  # (n,) int64 module rows of the Geometry
    position: np.ndarray  # (n, 3)
    direction: np.ndarray  # (n, 3)
    momentum: np.ndarray  # (n,)
    detected: np.ndarray  # (n,) bool: the module recorded a hit


class _Surfaces:
    """Nominal surfaces (layer cylinders and disks plus the exit surfaces) as arrays."""

    def __init__(self, geo: Geometry) -> None:
        barrel = np.flatnonzero(geo.layer_barrel)
        disks = np.flatnonzero(~geo.layer_barrel)
        self.cyl_layer = np.r_[barrel, -1]
        self.cyl_radius = np.r_[geo.layer_position[barrel], R_EXIT]
        self.cyl_zlow = np.r_[geo.layer_low[barrel], -Z_EXIT]
        self.cyl_zhigh = np.r_[geo.layer_high[barrel], Z_EXIT]
        self.disk_layer = np.r_[disks, -1, -1]
        self.disk_z = np.r_[geo.layer_position[disks], -Z_EXIT, Z_EXIT]
        self.disk_rlow = np.r_[geo.layer_low[disks], 0.0, 0.0]
        self.disk_rhigh = np.r_[geo.layer_high[disks], R_EXIT, R_EXIT]


def _helix_xy(cx, cy, r_h, phi):
    """Transverse position on a helix of centre (cx, cy), signed radius ``r_h = R h``."""
    return cx - r_h * np.sin(phi), cy + r_h * np.cos(phi)


def _next_crossing(surf: _Surfaces, pos, phi, lam, radius, h):
    """Turning angle to, and layer of, the next nominal surface crossed.

    Returns ``(alpha, layer)`` with layer -1 for an exit surface and alpha inf
    when no surface lies ahead.
    """
    n = len(phi)
    r_h = radius * h
    cx = pos[:, 0] + r_h * np.sin(phi)
    cy = pos[:, 1] - r_h * np.cos(phi)
    dist = np.hypot(cx, cy)
    psi_c = np.arctan2(cy, cx)
    psi_0 = np.arctan2(pos[:, 1] - cy, pos[:, 0] - cx)
    eps = (_EPS_PATH / radius)[:, None]
    best = np.full(n, np.inf)
    layer = np.full(n, -1, np.int64)

    with np.errstate(divide="ignore", invalid="ignore"):
        cos_d = (surf.cyl_radius[None, :] ** 2 - dist[:, None] ** 2 - radius[:, None] ** 2) / (
            2.0 * radius[:, None] * np.maximum(dist[:, None], 1e-12))
    reach = np.abs(cos_d) <= 1.0
    delta = np.arccos(np.clip(cos_d, -1.0, 1.0))
    for sign in (1.0, -1.0):
        alpha = np.mod(h[:, None] * (psi_0[:, None] - psi_c[:, None] - sign * delta), 2.0 * np.pi)
        alpha = np.where(alpha < eps, alpha + 2.0 * np.pi, alpha)
        z = pos[:, 2:3] + radius[:, None] * alpha * lam[:, None]
        ok = reach & (z >= surf.cyl_zlow[None, :]) & (z <= surf.cyl_zhigh[None, :])
        alpha = np.where(ok, alpha, np.inf)
        j = np.argmin(alpha, axis=1)
        a = alpha[np.arange(n), j]
        better = a < best
        best[better] = a[better]
        layer[better] = surf.cyl_layer[j[better]]

    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = (surf.disk_z[None, :] - pos[:, 2:3]) / (radius * lam)[:, None]
    alpha = np.where(np.isfinite(alpha) & (alpha > eps), alpha, np.inf)
    finite = np.isfinite(alpha)
    rows, cols = np.nonzero(finite)
    a = alpha[rows, cols]
    x, y = _helix_xy(cx[rows], cy[rows], r_h[rows], phi[rows] - h[rows] * a)
    r = np.hypot(x, y)
    ok = (r >= surf.disk_rlow[cols]) & (r <= surf.disk_rhigh[cols])
    alpha[rows[~ok], cols[~ok]] = np.inf
    j = np.argmin(alpha, axis=1)
    a = alpha[np.arange(n), j]
    better = a < best
    best[better] = a[better]
    layer[better] = surf.disk_layer[j[better]]
    return best, layer


def _module_crossings(geo: Geometry, layer, pos, phi, lam, radius, h):
    """Crossings of helices (at a nominal surface) with the candidate modules there.

    Returns ``(row, module, dalpha)``: the crossing row, the module and the
    turning angle from the nominal crossing to the module plane.
    """
    phi_pos = np.arctan2(pos[:, 1], pos[:, 0])
    s = np.where(geo.layer_barrel[layer], pos[:, 2], np.hypot(pos[:, 0], pos[:, 1]))
    cand = geo.candidates(layer, phi_pos, s)
    row, k = np.nonzero(cand >= 0)
    module = cand[row, k].astype(np.int64)
    normal = geo.rotation[module, :, 2]
    centre = geo.center[module]
    r_h = (radius * h)[row]
    ph0 = phi[row]
    cx = pos[row, 0] + r_h * np.sin(ph0)
    cy = pos[row, 1] - r_h * np.cos(ph0)
    z0 = pos[row, 2]
    rr = radius[row]
    ll = lam[row]
    hh = h[row]
    dalpha = np.zeros(len(row))
    for _ in range(_NEWTON_STEPS):
        ph = ph0 - hh * dalpha
        x, y = _helix_xy(cx, cy, r_h, ph)
        z = z0 + rr * dalpha * ll
        f = normal[:, 0] * (x - centre[:, 0]) + normal[:, 1] * (y - centre[:, 1]) + normal[:, 2] * (z - centre[:, 2])
        df = rr * (normal[:, 0] * np.cos(ph) + normal[:, 1] * np.sin(ph) + normal[:, 2] * ll)
        with np.errstate(divide="ignore", invalid="ignore"):
            dalpha = dalpha - np.where(np.abs(df) > 1e-12, f / df, 0.0)
    ph = ph0 - hh * dalpha
    x, y = _helix_xy(cx, cy, r_h, ph)
    z = z0 + rr * dalpha * ll
    point = np.stack([x, y, z], axis=1)
    local = geo.to_local(module, point)
    good = (
        np.isfinite(dalpha)
        & (np.abs(local[:, 2]) < 1e-4)
        & (np.abs(rr * dalpha) < _MAX_PLANE_DISTANCE)
        & (np.abs(local[:, 1]) <= geo.hv[module])
        & (np.abs(local[:, 0]) <= geo.half_width_u(module, local[:, 1]))
    )
    return row[good], module[good], dalpha[good], point[good]


def _direction(phi, lam):
    sin_t = 1.0 / np.sqrt(1.0 + lam**2)
    return np.stack([np.cos(phi) * sin_t, np.sin(phi) * sin_t, lam * sin_t], axis=1)


def _scatter(rng, direction, x_over_x0, p, beta):
    """Deflect unit directions by the Highland multiple-scattering angle."""
    n = len(p)
    x = np.maximum(x_over_x0, 1e-8)
    theta0 = 0.0136 / (beta * p) * np.sqrt(x) * np.maximum(1.0 + 0.038 * np.log(x / beta**2), 0.0)
    g = rng.standard_normal((n, 2)) * theta0[:, None]
    sin_t = np.hypot(direction[:, 0], direction[:, 1])
    cos_p = direction[:, 0] / np.maximum(sin_t, 1e-12)
    sin_p = direction[:, 1] / np.maximum(sin_t, 1e-12)
    e1 = np.stack([-sin_p, cos_p, np.zeros(n)], axis=1)
    e2 = np.stack([cos_p * direction[:, 2], sin_p * direction[:, 2], -sin_t], axis=1)
    new = direction + g[:, :1] * e1 + g[:, 1:] * e2
    return new / np.linalg.norm(new, axis=1, keepdims=True)


def propagate(
    geo: Geometry,
    particles: ParticleSet,
    config: SimulationConfig,
    rng: np.random.Generator,
    origin_module: np.ndarray | None = None,
) -> Crossings:
    """Follow every particle through the detector and return its module crossings.

    ``origin_module`` (n,) gives, for particles produced inside a module
    (secondaries), that module's row: it is not counted as crossed again.
    """
    surf = _Surfaces(geo)
    mom = particles.momentum
    pt = np.hypot(mom[:, 0], mom[:, 1])
    p_abs = np.linalg.norm(mom, axis=1)  # current |p| of every particle, reduced by energy loss
    mass = particles.mass
    support = np.asarray(config.support_x0, np.float64)
    curvature = 0.3 * config.bfield * np.abs(particles.charge) / 1000.0  # GeV per mm of radius
    # particles too soft to be followed, or neutral, are not propagated
    alive = (pt > 1e-4) & (particles.charge != 0)
    idx = np.flatnonzero(alive)
    pos = particles.vertex[idx].astype(np.float64)
    phi = np.arctan2(mom[idx, 1], mom[idx, 0])
    lam = mom[idx, 2] / pt[idx]
    radius = pt[idx] / curvature[idx]
    h = np.sign(particles.charge[idx]).astype(np.float64)
    turned = np.zeros(len(idx))

    out: dict[str, list[np.ndarray]] = {k: [] for k in ("particle", "module", "position", "direction", "order",
                                                      "momentum", "detected")}
    for _ in range(config.max_crossings):
        if len(idx) == 0:
            break
        alpha, layer = _next_crossing(surf, pos, phi, lam, radius, h)
        keep = (layer >= 0) & np.isfinite(alpha) & (turned + alpha <= config.max_turning)
        idx, pos, phi, lam, radius, h, turned, alpha, layer = (
            a[keep] for a in (idx, pos, phi, lam, radius, h, turned, alpha, layer))
        if len(idx) == 0:
            break
        # move to the nominal surface
        r_h = radius * h
        cx = pos[:, 0] + r_h * np.sin(phi)
        cy = pos[:, 1] - r_h * np.cos(phi)
        phi = phi - h * alpha
        x, y = _helix_xy(cx, cy, r_h, phi)
        pos = np.stack([x, y, pos[:, 2] + radius * alpha * lam], axis=1)
        turned = turned + alpha

        row, module, dalpha, point = _module_crossings(geo, layer, pos, phi, lam, radius, h)
        if origin_module is not None:
            fresh = module != origin_module[idx[row]]
            row, module, dalpha, point = row[fresh], module[fresh], dalpha[fresh], point[fresh]
        direction = _direction(phi[row] - h[row] * dalpha, lam[row])
        detected = rng.random(len(row)) < config.efficiency
        out["particle"].append(idx[row])
        out["module"].append(module)
        out["position"].append(point)
        out["direction"].append(direction)
        out["order"].append(turned[row] + dalpha)
        out["momentum"].append(p_abs[idx[row]])
        out["detected"].append(detected)

        # multiple scattering and ionisation loss in the modules crossed on this layer
        cos_inc = np.maximum(np.abs(np.einsum("ni,ni->n", geo.rotation[module, :, 2], direction)), 0.05)
        x0 = (geo.thickness[module] / _X0_SILICON + support[geo.kind[module]]) / cos_inc
        x_total = np.bincount(row, weights=x0, minlength=len(idx))
        hit_rows = np.flatnonzero(x_total > 0)
        if len(hit_rows):
            pid = idx[hit_rows]
            p_in = p_abs[pid]
            energy = np.sqrt(p_in**2 + mass[pid] ** 2)
            beta = p_in / energy
            d_old = _direction(phi[hit_rows], lam[hit_rows])
            d_new = _scatter(rng, d_old, x_total[hit_rows], p_in, beta)
            # mean loss ~ 1/beta^2 below minimum ionisation, in silicon-equivalent thickness
            loss = 1e-3 * _DEDX_MIP * x_total[hit_rows] * _X0_SILICON / np.maximum(beta, 0.05) ** 2
            energy_out = energy - loss
            p_out = np.sqrt(np.maximum(energy_out**2 - mass[pid] ** 2, 0.0))
            p_abs[pid] = p_out
            s_t = np.maximum(np.hypot(d_new[:, 0], d_new[:, 1]), 1e-9)
            phi[hit_rows] = np.arctan2(d_new[:, 1], d_new[:, 0])
            lam[hit_rows] = d_new[:, 2] / s_t
            radius[hit_rows] = np.maximum(p_out * s_t, 1e-9) / curvature[pid]
            # stopped particles leave the loop at the next step
            turned[hit_rows[p_out < _P_STOP]] = np.inf

    if not out["particle"] or not sum(len(a) for a in out["particle"]):
        empty = np.zeros(0)
        return Crossings(empty.astype(np.int64), empty.astype(np.int64), np.zeros((0, 3)), np.zeros((0, 3)),
                         empty, empty.astype(bool))
    cat = {k: np.concatenate(v) for k, v in out.items()}
    order = np.lexsort((cat["order"], cat["particle"]))
    return Crossings(
        particle=cat["particle"][order],
        module=cat["module"][order],
        position=cat["position"][order],
        direction=cat["direction"][order],
        momentum=cat["momentum"][order],
        detected=cat["detected"][order],
    )
