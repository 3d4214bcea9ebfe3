"""Per-hit input features: cylindrical coordinates, pseudorapidity and cluster shape."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["HIT_FEATURES", "CELL_FEATURES", "hit_features"]

#: Geometric features computed for every hit.
HIT_FEATURES: tuple[str, ...] = ("r", "phi", "z", "eta")
#: Cluster features computed from the cells file (zero when an event has no cells).
CELL_FEATURES: tuple[str, ...] = ("cell_count", "cell_val", "lx", "ly")


def hit_features(hits: pd.DataFrame, cells: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
    """Features of each hit, in the row order of ``hits``.

    Parameters
    ----------
    hits : DataFrame
        TrackML hits (``hit_id, x, y, z`` in mm).
    cells : DataFrame, optional
        TrackML cells (``hit_id, ch0, ch1, value``).  Without it the cluster
        features are zero, so the pipeline still runs on hits-only events.

    Returns
    -------
    dict of str to ndarray
        float32 arrays of shape ``(n_hits,)``: ``r`` (mm, transverse radius),
        ``phi`` (rad, in [-pi, pi]), ``z`` (mm), ``eta`` (pseudorapidity seen from
        the origin), ``cell_count`` (channels in the cluster), ``cell_val``
        (summed channel value), ``lx``/``ly`` (cluster extent in channels along
        ch0/ch1).
    """
    x = hits["x"].to_numpy(np.float64)
    y = hits["y"].to_numpy(np.float64)
    z = hits["z"].to_numpy(np.float64)
    r = np.hypot(x, y)
    features = {
        "r": r,
        "phi": np.arctan2(y, x),
        "z": z,
        "eta": np.arcsinh(z / np.maximum(r, 1e-6)),
    }
    features.update(_cluster_features(hits["hit_id"].to_numpy(), cells))
    return {name: np.asarray(value, dtype=np.float32) for name, value in features.items()}


def _cluster_features(hit_id: np.ndarray, cells: pd.DataFrame | None) -> dict[str, np.ndarray]:
    zeros = {name: np.zeros(len(hit_id)) for name in CELL_FEATURES}
    if cells is None or len(cells) == 0:
        return zeros
    grouped = cells.groupby("hit_id", sort=False).agg(
        cell_count=("value", "size"),
        cell_val=("value", "sum"),
        ch0_min=("ch0", "min"),
        ch0_max=("ch0", "max"),
        ch1_min=("ch1", "min"),
        ch1_max=("ch1", "max"),
    )
    grouped = grouped.reindex(hit_id)  # hits without cells get NaN rows
    present = grouped["cell_count"].notna().to_numpy()
    out = {
        "cell_count": grouped["cell_count"].to_numpy(np.float64),
        "cell_val": grouped["cell_val"].to_numpy(np.float64),
        "lx": (grouped["ch0_max"] - grouped["ch0_min"] + 1).to_numpy(np.float64),
        "ly": (grouped["ch1_max"] - grouped["ch1_min"] + 1).to_numpy(np.float64),
    }
    return {name: np.where(present, value, 0.0) for name, value in out.items()}
