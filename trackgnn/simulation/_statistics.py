"""Calibration statistics of events, next to the real TrackML values (REFERENCE §3)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "event_statistics",
    "single_event_statistics",
    "calibration_failures",
    "format_statistics",
    "REAL_EVENT",
    "CALIBRATION_RANGES",
]

_BARREL_LAYERS = ((8, 2), (8, 4), (8, 6), (8, 8), (13, 2), (13, 4), (13, 6), (13, 8), (17, 2), (17, 4))
_VOLUMES = (7, 8, 9, 12, 13, 14, 16, 17, 18)

# measured on TrackML event000001000 and the public test events (REFERENCE §2-3); hits is the
# mean of the four test events, noise_fraction the middle of the quoted "roughly 10-20 %"
REAL_EVENT: dict[str, object] = {
    "particles": 12263,
    "hits": 107686,
    "particle_hits": 103305,
    "noise_fraction": 0.15,
    "median_pt": 0.36,
    "fraction_pt_above_1": 0.113,
    "median_abs_eta": 1.46,
    "median_nhits": 10.0,
    "fraction_zero_hits": 1698 / 12263,
    "fraction_secondaries": 0.23,
    "fraction_displaced": 0.30,
    "fraction_positive": 6789 / 12263,
    "barrel_r_median": dict(zip([f"{v}-{l}" for v, l in _BARREL_LAYERS],
                                (32.0, 71.9, 115.8, 171.9, 260.5, 360.5, 500.7, 660.4, 820.3, 1020.3))),
    "barrel_layer_ratio": dict(zip([f"{v}-{l}" for v, l in _BARREL_LAYERS],
                                   (1.00, 0.94, 0.86, 0.80, 0.91, 0.87, 0.81, 0.76, 0.72, 0.69))),
    "volume_share": {"7": 0.133, "8": 0.237, "9": 0.143, "12": 0.063, "13": 0.218, "14": 0.067,
                     "16": 0.024, "17": 0.090, "18": 0.025},
}

# the calibration targets for default settings, averaged over events
CALIBRATION_RANGES: dict[str, tuple[float, float]] = {
    "particles": (10000, 14500),
    "hits": (95000, 135000),
    "median_pt": (0.30, 0.42),
    "fraction_pt_above_1": (0.08, 0.15),
    "median_abs_eta": (1.2, 1.7),
    "median_nhits": (8, 12),
}
BARREL_R_TOLERANCE = 2.0  # mm


def single_event_statistics(hits: pd.DataFrame, particles: pd.DataFrame, truth: pd.DataFrame) -> dict[str, object]:
    """Calibration numbers of one event.

    ``median_nhits`` is taken over particles with at least one hit (REFERENCE
    §3 quotes the zero-hit particles separately).
    """
    pt = np.hypot(particles["px"].to_numpy(np.float64), particles["py"].to_numpy(np.float64))
    eta = np.arcsinh(particles["pz"].to_numpy(np.float64) / np.maximum(pt, 1e-12))
    nhits = particles["nhits"].to_numpy()
    pid = particles["particle_id"].to_numpy(np.int64)
    noise = truth["particle_id"].to_numpy(np.int64) == 0
    r = np.hypot(hits["x"].to_numpy(np.float64), hits["y"].to_numpy(np.float64))
    vol = hits["volume_id"].to_numpy()
    lay = hits["layer_id"].to_numpy()
    r_median, counts = {}, {}
    for v, l in _BARREL_LAYERS:
        sel = (vol == v) & (lay == l)
        r_median[f"{v}-{l}"] = float(np.median(r[sel])) if sel.any() else float("nan")
        counts[f"{v}-{l}"] = int(sel.sum())
    first = counts["8-2"]
    return {
        "particles": len(particles),
        "hits": len(hits),
        "particle_hits": int((~noise).sum()),
        "noise_fraction": float(noise.mean()) if len(noise) else 0.0,
        "median_pt": float(np.median(pt)),
        "fraction_pt_above_1": float((pt > 1.0).mean()),
        "median_abs_eta": float(np.median(np.abs(eta))),
        "median_nhits": float(np.median(nhits[nhits > 0])) if (nhits > 0).any() else 0.0,
        "fraction_zero_hits": float((nhits == 0).mean()),
        "fraction_secondaries": float((((pid >> 24) & 0xFFF) != 0).mean()),
        "fraction_displaced": float((np.hypot(particles["vx"], particles["vy"]).to_numpy() > 1.0).mean()),
        "fraction_positive": float((particles["q"].to_numpy() > 0).mean()),
        "barrel_r_median": r_median,
        "barrel_layer_ratio": {k: (c / first if first else float("nan")) for k, c in counts.items()},
        "volume_share": {str(v): float((vol == v).mean()) for v in _VOLUMES},
    }


def _mean(values: Sequence[object]) -> object:
    if isinstance(values[0], dict):
        return {k: _mean([v[k] for v in values]) for k in values[0]}
    return float(np.mean(values))


def _frames_of(source) -> Iterable[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    if isinstance(source, (str, Path)):
        from trackgnn.data import load_dataset

        for _event_id, hits, particles, truth in load_dataset(source, parts=("hits", "particles", "truth")):
            yield hits, particles, truth
        return
    if hasattr(source, "hits") and hasattr(source, "truth"):  # one EventFrames
        source = [source]
    for item in source:
        if isinstance(item, (str, Path)):  # an event prefix
            from trackgnn.data import load_event

            yield load_event(item, parts=("hits", "particles", "truth"))
        else:
            yield item.hits, item.particles, item.truth


def event_statistics(source) -> dict[str, object]:
    """Calibration statistics averaged over events.

    Parameters
    ----------
    source : path, EventFrames, or iterable of EventFrames or event prefixes
        A dataset directory (or zip) readable by :func:`trackgnn.data.load_dataset`,
        simulated events in memory, or event prefixes (``dir/event000001000``).

    Returns
    -------
    dict
        ``events`` and the mean over events of :func:`single_event_statistics`
        (numbers, and dicts per barrel layer / volume).
    """
    per_event = [single_event_statistics(*frames) for frames in _frames_of(source)]
    if not per_event:
        raise ValueError(f"event_statistics: no events in {source!r}")
    result = _mean(per_event)
    result["events"] = len(per_event)
    return result


def calibration_failures(stats: dict[str, object]) -> list[str]:
    """The calibration targets that ``stats`` misses, one message each (empty = calibrated)."""
    failures = []
    for key, (low, high) in CALIBRATION_RANGES.items():
        value = float(stats[key])  # type: ignore[arg-type]
        if not low <= value <= high:
            failures.append(f"{key} = {value:.4g} outside [{low:g}, {high:g}]")
    real_r: dict = REAL_EVENT["barrel_r_median"]  # type: ignore[assignment]
    for layer, value in stats["barrel_r_median"].items():  # type: ignore[union-attr]
        if not abs(value - real_r[layer]) <= BARREL_R_TOLERANCE:
            failures.append(f"barrel_r_median[{layer}] = {value:.1f} mm, real {real_r[layer]} mm")
    return failures


def _number(x: object, digits: int) -> str:
    if x is None:
        return " " * 12
    return f"{float(x):12.{digits}f}"  # type: ignore[arg-type]


def format_statistics(stats: dict[str, object]) -> str:
    """A table of simulated vs real values, with the calibration targets."""
    lines = [f"{'statistic':<26}{'simulated':>12}{'real':>12}   target", "-" * 64]
    for key, value in stats.items():
        if key == "events":
            continue
        real = REAL_EVENT.get(key)
        if isinstance(value, dict):
            digits = 1 if key == "barrel_r_median" else 3
            target = f"within {BARREL_R_TOLERANCE:g} mm of real" if key == "barrel_r_median" else ""
            for sub, v in value.items():
                r = real.get(sub) if isinstance(real, dict) else None
                lines.append(f"{key + '[' + sub + ']':<26}{_number(v, digits)}{_number(r, digits)}   {target}")
            continue
        digits = 0 if abs(float(value)) >= 100 else 3  # type: ignore[arg-type]
        lo_hi = CALIBRATION_RANGES.get(key)
        target = f"[{lo_hi[0]:g}, {lo_hi[1]:g}]" if lo_hi else ""
        lines.append(f"{key:<26}{_number(value, digits)}{_number(real, digits)}   {target}")
    lines.append(f"(mean over {stats.get('events', '?')} events; real = TrackML event000001000, REFERENCE §3)")
    return "\n".join(lines)
