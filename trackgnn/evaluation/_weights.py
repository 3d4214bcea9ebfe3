"""TrackML hit weights (REFERENCE §4), vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trackgnn.errors import DataFormatError

__all__ = ["weight_hits", "order_weight_table", "pt_weight", "is_primary"]

_ORDER_PROPOSAL = np.array([10.0, 8.0, 6.0, 5.0, 3.0, 3.0, 3.0, 5.0, 6.0])
_MIN_HITS = 4
_MAX_HITS = 20
_GENERATION_SHIFT = 24
_GENERATION_MASK = 0xFFF


def order_weight_table() -> np.ndarray:
    """``table[n, rank]``: order weight of the hit of ``rank`` (0-based) on a particle with ``n`` hits.

    Shape ``(21, 21)``: rows ``n < 4`` are zero; row ``n`` spreads the proposal
    ``[10, 8, 6, 5, 3, 3, 3, 5, 6]`` over ``n`` points by linear interpolation and
    normalises them to sum 1; columns ``rank >= n`` (and column 20) are zero.
    """
    table = np.zeros((_MAX_HITS + 1, _MAX_HITS + 1))
    support = np.arange(len(_ORDER_PROPOSAL))
    for n in range(_MIN_HITS, _MAX_HITS + 1):
        values = np.interp(np.linspace(0, len(_ORDER_PROPOSAL) - 1, n), support, _ORDER_PROPOSAL)
        table[n, :n] = values / values.sum()
    return table


def pt_weight(pt: np.ndarray) -> np.ndarray:
    """Interpolate pT (GeV) over (0.05, 0.5, 3.0) → (0.2, 0.2, 1.0); 0 below 0.05, 1 above 3."""
    pt = np.asarray(pt, dtype=np.float64)
    weight = np.interp(pt, [0.05, 0.5, 3.0], [0.2, 0.2, 1.0])
    return np.where(pt < 0.05, 0.0, weight)


def is_primary(particle_id: np.ndarray) -> np.ndarray:
    """True where the generation bits (24-35) of a TrackML particle_id are zero."""
    particle_id = np.asarray(particle_id, dtype=np.int64)
    return ((particle_id >> _GENERATION_SHIFT) & _GENERATION_MASK) == 0


def weight_hits(truth: pd.DataFrame, particles: pd.DataFrame, phase: int = 1) -> pd.DataFrame:
    """Return a copy of ``truth`` whose ``weight`` column holds the exact TrackML hit weights.

    Parameters
    ----------
    truth : DataFrame
        hit_id, particle_id, tz (mm) at least.
    particles : DataFrame
        particle_id, vz (mm), px, py (GeV), nhits.
    phase : {1, 2}
        1: the accuracy (Kaggle) phase.  2: the throughput phase, which also gives
        weight 0 to particles that are not primaries.

    Returns
    -------
    DataFrame
        ``truth`` with ``weight`` (float32) normalised to sum 1 (all zero if no hit carries weight).
    """
    if phase not in (1, 2):
        raise ValueError(f"phase must be 1 or 2, got {phase!r}")
    for name, frame, cols in (("truth", truth, ("hit_id", "particle_id", "tz")),
                              ("particles", particles, ("particle_id", "vz", "px", "py", "nhits"))):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DataFormatError(f"weight_hits: {name} lacks column {missing[0]!r}")
    result = truth.copy()
    pid = truth["particle_id"].to_numpy(dtype=np.int64)
    info = particles.drop_duplicates("particle_id").set_index("particle_id")[["vz", "px", "py", "nhits"]]
    joined = info.reindex(pid)  # NaN rows for noise and for particles missing from the file
    known = (pid != 0) & joined["nhits"].notna().to_numpy()
    nhits = joined["nhits"].fillna(0).to_numpy(dtype=np.int64)
    vz = joined["vz"].fillna(0.0).to_numpy(dtype=np.float64)
    pt = np.hypot(joined["px"].fillna(0.0).to_numpy(dtype=np.float64),
                  joined["py"].fillna(0.0).to_numpy(dtype=np.float64))

    # rank of each hit along its particle by |tz - vz| (ties: order of appearance)
    dz = np.abs(truth["tz"].to_numpy(dtype=np.float64) - vz)
    sort = np.lexsort((np.arange(len(pid)), dz, pid))
    sorted_pid = pid[sort]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_pid)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(pid)]))
    rank = np.empty(len(pid), dtype=np.int64)
    rank[sort] = np.arange(len(pid)) - group_start

    n = np.clip(nhits, 0, _MAX_HITS)
    weight = order_weight_table()[n, np.clip(rank, 0, _MAX_HITS)]
    weight = weight * pt_weight(pt)
    weight[~known] = 0.0
    if phase == 2:
        weight[~is_primary(pid)] = 0.0
    total = weight.sum()
    result["weight"] = (weight / total if total > 0 else weight).astype(np.float32)
    return result
