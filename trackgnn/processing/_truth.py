"""Truth for every hit and the truth edges (the target graph) of an event."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["hit_truth", "truth_edges"]


def hit_truth(
    hits: pd.DataFrame, particles: pd.DataFrame | None, truth: pd.DataFrame | None
) -> dict[str, np.ndarray]:
    """Particle of each hit and its kinematics, in the row order of ``hits``.

    Returns
    -------
    dict of str to ndarray
        ``particle_id`` (int64, 0 = noise or no truth), ``pt`` (GeV, 0 for noise),
        ``particle_eta``, ``particle_nhits`` (hits of that particle in this event,
        int64, 0 for noise) and ``vertex_distance`` (mm, distance of the true hit
        position from the particle's production vertex), each of shape ``(n_hits,)``.
        Without a truth file every hit is treated as noise.
    """
    n = len(hits)
    if truth is None:
        return {
            "particle_id": np.zeros(n, np.int64),
            "pt": np.zeros(n, np.float32),
            "particle_eta": np.zeros(n, np.float32),
            "particle_nhits": np.zeros(n, np.int64),
            "vertex_distance": np.zeros(n, np.float32),
        }
    t = truth.set_index("hit_id").reindex(hits["hit_id"].to_numpy())
    pid = t["particle_id"].fillna(0).to_numpy(np.int64)
    pos = np.stack([t[c].to_numpy(np.float64) for c in ("tx", "ty", "tz")], axis=1)
    hit_pos = hits[["x", "y", "z"]].to_numpy(np.float64)
    pos = np.where(np.isnan(pos), hit_pos, pos)
    mom = np.stack([t[c].fillna(0).to_numpy(np.float64) for c in ("tpx", "tpy", "tpz")], axis=1)
    vertex = np.zeros((n, 3))
    if particles is not None and len(particles):
        p = particles.set_index("particle_id").reindex(pid)
        known = p["px"].notna().to_numpy()
        pmom = np.stack([p[c].to_numpy(np.float64) for c in ("px", "py", "pz")], axis=1)
        mom = np.where(known[:, None], pmom, mom)  # production momentum when the particle is listed
        pvtx = np.stack([p[c].to_numpy(np.float64) for c in ("vx", "vy", "vz")], axis=1)
        vertex = np.where(known[:, None], pvtx, vertex)
    noise = pid == 0
    pt = np.hypot(mom[:, 0], mom[:, 1])
    eta = np.arcsinh(mom[:, 2] / np.maximum(pt, 1e-9))
    _, inverse, counts = np.unique(pid, return_inverse=True, return_counts=True)
    nhits = counts[inverse]
    return {
        "particle_id": pid,
        "pt": np.where(noise, 0.0, pt).astype(np.float32),
        "particle_eta": np.where(noise, 0.0, eta).astype(np.float32),
        "particle_nhits": np.where(noise, 0, nhits).astype(np.int64),
        "vertex_distance": np.linalg.norm(pos - vertex, axis=1).astype(np.float32),
    }


def truth_edges(
    particle_id: np.ndarray, vertex_distance: np.ndarray, layer: np.ndarray
) -> np.ndarray:
    """Consecutive hits of each particle, ordered by distance from its production vertex.

    Hits of one particle are sorted by ``vertex_distance`` and grouped into runs
    on the same ``layer``; every hit of a run is joined to every hit of the next
    run.  Two hits on one layer from overlapping modules therefore both connect
    to the hits before and after them, and the chain is never broken.

    Parameters
    ----------
    particle_id : ndarray of shape (n_hits,)
        0 for noise (never part of an edge).
    vertex_distance : ndarray of shape (n_hits,)
        Distance from the particle's production vertex (mm).
    layer : ndarray of shape (n_hits,)
        Any integer identifying the detector layer (e.g. ``100 * volume_id + layer_id``).

    Returns
    -------
    ndarray of shape (2, n_edges), int64
        Hit indices, oriented from the hit nearer the vertex to the farther one.
    """
    particle_id = np.asarray(particle_id)
    hits = np.flatnonzero(particle_id != 0)
    if hits.size < 2:
        return np.zeros((2, 0), np.int64)
    order = hits[np.lexsort((vertex_distance[hits], particle_id[hits]))]
    pid, lay = particle_id[order], np.asarray(layer)[order]
    new_run = np.ones(order.size, bool)
    new_run[1:] = (pid[1:] != pid[:-1]) | (lay[1:] != lay[:-1])
    starts = np.flatnonzero(new_run)
    sizes = np.diff(np.append(starts, order.size))
    same_particle = pid[starts[1:]] == pid[starts[:-1]]
    first = np.flatnonzero(same_particle)  # run index g joined to run g + 1
    n_a, n_b = sizes[first], sizes[first + 1]
    n_pairs = n_a * n_b
    if n_pairs.sum() == 0:
        return np.zeros((2, 0), np.int64)
    pair_run = np.repeat(np.arange(first.size), n_pairs)
    local = np.arange(n_pairs.sum()) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
    src = starts[first][pair_run] + local // n_b[pair_run]
    dst = starts[first + 1][pair_run] + local % n_b[pair_run]
    return np.stack([order[src], order[dst]]).astype(np.int64)
