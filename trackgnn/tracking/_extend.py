"""Extend tracks with the free hits their helix crosses on the detector's surfaces.

A fragment is a track holding half of its particle or less; on complete events most of
the particle's other hits are left without a track (their edges were lost upstream).  Each
track of at least ``min_hits`` whose helix fit (:mod:`trackgnn.tracking._stitch`) is good is
intersected with every barrel cylinder and endcap disk of the TrackML detector; the free
hits within ``search_radius`` of an intersection whose distances to the track's circle and
(s, z) line are within tolerance join it, each hit the closest helix.
"""

from __future__ import annotations

import numpy as np

from trackgnn.graph._kdtree import build_tree, nearest_points
from trackgnn.tracking._crossing_kernel import helix_crossings
from trackgnn.tracking._labels import best_per_key
from trackgnn.tracking._stitch import _helix_fits, fit_rms, helix_residuals
from trackgnn.tracking._surfaces import detector_surfaces

__all__ = ["extend_tracks"]

_DETECTOR_REACH = (1100.0, 3100.0)  # |r| and |z| [mm] beyond the outermost modules
_CANDIDATES = 8  # free hits looked at per crossing: a surface holds at most a few hits of one particle there


def _crossings(fit: dict[str, np.ndarray], tracks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(track of each crossing, (C, 3) positions) of the tracks' helices with every surface,
    on the outgoing half turn and inside the detector (:func:`helix_crossings`)."""
    surfaces = detector_surfaces()
    phi0 = np.arctan2(fit["ty"][tracks], fit["tx"][tracks])
    row, points = helix_crossings(fit["kappa"][tracks], fit["dip"][tracks], fit["z0"][tracks], phi0,
                                  surfaces.barrel_r, surfaces.disk_z, *_DETECTOR_REACH)
    return tracks[row], points


def extend_tracks(labels: np.ndarray, positions: np.ndarray, *, min_hits: int = 5, max_dist_xy: float = 1.0,
                  max_dist_sz: float = 3.0, search_radius: float = 10.0, max_rms_xy: float = 2.0,
                  max_rms_sz: float = 6.0) -> np.ndarray:
    """Give free hits (label −1) to the track whose helix crosses a detector surface there.

    Parameters
    ----------
    labels : ndarray
        (N,) track label per hit, −1 for none.
    positions : ndarray
        (N, 3) hit x, y, z [mm].
    min_hits : int
        Only tracks with this many hits are extended: a shorter one is more often a fake, and
        growing it past 5 hits counts it in the fake rate.
    max_dist_xy, max_dist_sz : float
        A hit joins when its distance to the circle [mm] and to the (s, z) line [mm] are within these.
    search_radius : float
        The (up to 8) free hits this close [mm] to a crossing are candidates.
    max_rms_xy, max_rms_sz : float
        Tracks whose own fits leave a larger RMS residual [mm] are not extended.

    The defaults were chosen on the validation events of the complete-event chain (score
    0.501 → 0.548, pT > 1 GeV efficiency 93.9 → 94.9 %, ≥ 5-hit fakes 18.1 → 13.9 %).

    Returns
    -------
    ndarray
        (N,) labels; tracked hits keep theirs.
    """
    labels = np.asarray(labels, dtype=np.int64)
    pos = np.asarray(positions, dtype=np.float64)
    tracked, free = np.flatnonzero(labels >= 0), np.flatnonzero(labels < 0)
    out = labels.copy()
    if tracked.size == 0 or free.size == 0:
        return out
    fit = _helix_fits(labels[tracked], int(labels[tracked].max()) + 1, pos[tracked])
    rms_xy, rms_sz = fit_rms(fit)
    good = ((fit["n"] >= min_hits) & (rms_xy <= max_rms_xy) & (rms_sz <= max_rms_sz)
            & (np.abs(fit["nz"]) > 1e-6))
    track, points = _crossings(fit, np.flatnonzero(good))
    if track.size == 0:
        return out
    k = min(_CANDIDATES, free.size)
    _, nearest = nearest_points(build_tree(pos[free]), points, search_radius, k)
    found = nearest >= 0
    hit = free[nearest[found]]
    track = np.broadcast_to(track[:, None], found.shape)[found]
    d_xy, d_sz = helix_residuals(fit, track, pos[hit])
    ok = (d_xy <= max_dist_xy) & (d_sz <= max_dist_sz)
    hit, track, cost = hit[ok], track[ok], (d_xy / max_dist_xy + d_sz / max_dist_sz)[ok]
    best = best_per_key(hit, cost)  # per hit, the closest helix
    out[hit[best]] = track[best]
    return out
