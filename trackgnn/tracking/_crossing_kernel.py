"""Compiled search of a circle-and-line helix's next crossing with the detector's surfaces.

Track extension (:mod:`trackgnn.tracking._extend`) asks where each track's helix from the origin
crosses every surface (:func:`helix_crossings`); track following (:mod:`trackgnn.tracking._follow`) asks, every step and for every followed track,
how far along its local helix the next barrel cylinder or endcap disk lies.  One loop per track
over the 10 cylinders and 38 disks replaces ~30 NumPy passes over (tracks, surfaces) arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["helix_crossings", "next_crossings"]


@njit(cache=True, error_model="numpy")  # divisions by zero give inf / nan (a circle centred on the beam line), not exceptions
def next_crossings(cx, cy, radius, sense, angle, slope, z, barrel_r, barrel_z_max, disk_z, disk_r_min,
                   disk_r_max, min_step, max_step):  # pragma: no cover - compiled
    """Per helix ``i`` (circle centre ``cx, cy``, ``radius``, travelled with ``sense`` ±1 from the
    point at ``angle`` seen from the centre, where z is ``z``, rising ``slope`` per unit of transverse
    arc length): the arc length [mm] to its first surface crossing within the surface's extent, more
    than ``min_step`` and at most ``max_step`` ahead; ``inf`` if none.

    Cylinders: ``|centre + radius (cos a, sin a)| = r`` at ``cos(a - offset) = q``, both solutions;
    disks: the z-plane's arc length and the crossing's radius.
    """
    two_pi = 2.0 * np.pi
    n = cx.shape[0]
    out = np.empty(n)
    for i in range(n):
        rad = radius[i]
        centre = np.hypot(cx[i], cy[i])
        offset = np.arctan2(cy[i], cx[i])
        best = np.inf
        for k in range(barrel_r.shape[0]):
            r = barrel_r[k]
            q = (r * r - centre * centre - rad * rad) / (2.0 * rad * centre)
            if not np.abs(q) <= 1.0:
                continue
            half_angle = np.arccos(q)
            for side in (1.0, -1.0):
                s = rad * np.mod(sense[i] * (offset + side * half_angle - angle[i]), two_pi)
                if s > min_step and np.abs(z[i] + slope[i] * s) <= barrel_z_max[k] and s < best:
                    best = s
        rise = slope[i] if np.abs(slope[i]) > 1e-9 else 1e-9
        for k in range(disk_z.shape[0]):
            s = (disk_z[k] - z[i]) / rise
            if not (s > min_step and s <= max_step) or s >= best:
                continue
            a = angle[i] + sense[i] * s / rad
            r_disk = np.hypot(cx[i] + rad * np.cos(a), cy[i] + rad * np.sin(a))
            if disk_r_min[k] <= r_disk <= disk_r_max[k]:
                best = s
        out[i] = best if best <= max_step else np.inf
    return out


@njit(cache=True, error_model="numpy")
def helix_crossings(kappa, dip, z0, phi0, barrel_r, disk_z, reach_r, reach_z):  # pragma: no cover - compiled
    """Crossings of helices from the origin (signed curvature ``kappa`` [1/mm], ``dip`` = dz/ds, ``z0``,
    direction ``phi0`` at the origin) with every cylinder ``barrel_r`` and disk ``disk_z``, on the
    outgoing half turn and inside ``|r| < reach_r``, ``|z| < reach_z``: (helix of each crossing,
    (C, 3) positions), helix after helix, cylinders before disks.
    """
    n, n_barrel, n_disk = kappa.shape[0], barrel_r.shape[0], disk_z.shape[0]
    helix = np.empty(n * (n_barrel + n_disk), np.int64)
    points = np.empty((n * (n_barrel + n_disk), 3))
    count = 0
    for i in range(n):
        k = kappa[i]
        curvature = max(abs(k), 1e-12)
        safe_dip = 1e-9 if abs(dip[i]) < 1e-9 else dip[i]
        for surface in range(n_barrel + n_disk):
            if surface < n_barrel:
                chord = barrel_r[surface] * curvature / 2  # sin of half the turn to reach the cylinder
                if not chord <= 1.0:
                    continue
                s = 2.0 / curvature * np.arcsin(chord)
            else:
                s = (disk_z[surface - n_barrel] - z0[i]) / safe_dip
                if not (s > 0 and s * curvature < np.pi):
                    continue
            if abs(k * s) < 1e-9:
                x, y = s * np.cos(phi0[i]), s * np.sin(phi0[i])
            else:
                x = (np.sin(phi0[i] + k * s) - np.sin(phi0[i])) / k
                y = (np.cos(phi0[i]) - np.cos(phi0[i] + k * s)) / k
            z = z0[i] + dip[i] * s
            if np.hypot(x, y) < reach_r and abs(z) < reach_z:
                helix[count] = i
                points[count, 0], points[count, 1], points[count, 2] = x, y, z
                count += 1
    return helix[:count], points[:count]
