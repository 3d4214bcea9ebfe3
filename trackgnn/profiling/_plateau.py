"""Plateau detection on a bandwidth-vs-working-set curve, ERT style.

A plateau is a run of at least ``min_points`` consecutive sizes whose values
stay within ``+-tol`` of the run's median; a new memory level starts when the
value drops by more than ``drop`` (1.15 x new < old), and runs closer than
that are merged into one level.  Curves are first smoothed with a running
median of three so that one noisy point (another process stealing the core)
neither ends a plateau nor starts a false one.

Levels are named from the cache capacities: each level owns a working-set
window between its neighbours' transitions (beyond the last cache: main
memory); a plateau takes the names of the windows it covers, and the
per-level ceiling is the median bandwidth over that level's window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

__all__ = ["Plateau", "detect_plateaus", "level_bandwidths", "level_windows", "name_levels"]


@dataclass
class Plateau:
    """One bandwidth level: working-set range (bytes) and bandwidth (same unit as the input)."""

    start_bytes: float
    end_bytes: float
    value: float  # median over the plateau
    max_value: float
    n_points: int
    name: str | None = None

    @property
    def middle_bytes(self) -> float:
        return float(np.sqrt(self.start_bytes * self.end_bytes))

    def to_dict(self) -> dict:
        return asdict(self)


def _running_median3(values: np.ndarray) -> np.ndarray:
    if values.size < 3:
        return values.copy()
    padded = np.concatenate([values[:1], values, values[-1:]])
    return np.median(np.stack([padded[:-2], padded[1:-1], padded[2:]]), axis=0)


def detect_plateaus(
    sizes: Sequence[float],
    values: Sequence[float],
    tol: float = 0.05,
    min_points: int = 6,
    drop: float = 1.15,
) -> list[Plateau]:
    """Find bandwidth plateaus, ordered from small to large working sets.

    Parameters
    ----------
    sizes : (n,) working-set sizes in bytes (any order; sorted here).
    values : (n,) bandwidth at each size (e.g. GB/s).
    tol : relative half-width of a plateau around its median.
    min_points : fewest consecutive points that make a plateau.
    drop : ratio between successive plateaus below which they are merged.
    """
    sizes = np.asarray(sizes, dtype=float)
    values = np.asarray(values, dtype=float)
    if sizes.shape != values.shape or sizes.ndim != 1:
        raise ValueError(f"sizes and values must be 1-D of equal length, got {sizes.shape} and {values.shape}")
    order = np.argsort(sizes)
    sizes, raw = sizes[order], values[order]
    smooth = _running_median3(raw)

    runs: list[list[int]] = []
    current = [0] if sizes.size else []
    for i in range(1, sizes.size):
        ref = float(np.median(smooth[current]))
        if abs(smooth[i] - ref) <= tol * ref:
            current.append(i)
        else:
            runs.append(current)
            current = [i]
    if current:
        runs.append(current)
    runs = [r for r in runs if len(r) >= min_points]

    merged: list[list[int]] = []
    for run in runs:
        if merged:
            prev = float(np.median(smooth[merged[-1]]))
            here = float(np.median(smooth[run]))
            if not (drop * here < prev or drop * prev < here):
                merged[-1] = list(range(merged[-1][0], run[-1] + 1))
                continue
        merged.append(run)
    return [
        Plateau(
            start_bytes=float(sizes[r[0]]),
            end_bytes=float(sizes[r[-1]]),
            value=float(np.median(raw[r])),
            max_value=float(np.max(raw[r])),
            n_points=len(r),
        )
        for r in merged
    ]


def level_windows(
    capacities: Sequence[tuple[str, float]], memory_name: str = "DRAM"
) -> list[tuple[str, float, float]]:
    """Working-set window ``(name, lo, hi)`` (bytes) that only level ``name`` serves.

    A level's window runs from 1.25x the previous capacity to 0.75x its own
    (away from both transitions); main memory starts at 2x the last cache.
    """
    windows, lo = [], 0.0
    for name, capacity in capacities:
        windows.append((name, 1.25 * lo, 0.75 * capacity))
        lo = capacity
    windows.append((memory_name, 2.0 * lo, np.inf))
    return windows


def level_bandwidths(
    sizes: Sequence[float],
    values: Sequence[float],
    capacities: Sequence[tuple[str, float]],
    memory_name: str = "DRAM",
) -> dict[str, dict[str, float]]:
    """Median bandwidth of the points inside each level's window (levels without points are left out)."""
    sizes = np.asarray(sizes, dtype=float)
    values = np.asarray(values, dtype=float)
    out = {}
    for name, lo, hi in level_windows(capacities, memory_name):
        inside = (sizes >= lo) & (sizes <= hi)
        if inside.any():
            out[name] = {
                "value": float(np.median(values[inside])),
                "max_value": float(np.max(values[inside])),
                "from_bytes": float(sizes[inside].min()),
                "to_bytes": float(sizes[inside].max()),
                "n_points": int(inside.sum()),
            }
    return out


def _window_middle(lo: float, hi: float) -> float:
    if lo <= 0:
        return hi / 2
    if not np.isfinite(hi):
        return 2 * lo
    return float(np.sqrt(lo * hi))


def name_levels(
    plateaus: Sequence[Plateau], capacities: Sequence[tuple[str, float]], memory_name: str = "DRAM"
) -> dict[str, Plateau]:
    """Name plateaus after the memory levels whose windows they cover.

    Parameters
    ----------
    plateaus : output of :func:`detect_plateaus`.
    capacities : ``[(name, bytes), ...]`` from the smallest cache to the last level cache,
        as seen by the threads that ran the sweep.
    memory_name : name for working sets beyond the last cache ("DRAM", "HBM").

    Returns
    -------
    ``{level: plateau}`` in level order.  A plateau covering several levels (on
    Zen 4 the read-modify-write kernel runs at nearly the same speed from L1
    and L2) is named ``"L1+L2"`` and maps from both.
    """
    named: dict[str, Plateau] = {}
    for plateau in plateaus:
        lo, hi = plateau.start_bytes / 1.3, plateau.end_bytes * 1.3
        covered = [
            name
            for name, w_lo, w_hi in level_windows(capacities, memory_name)
            if lo <= _window_middle(w_lo, w_hi) <= hi
        ]
        plateau.name = "+".join(covered) if covered else None
        for name in covered:
            if name not in named or plateau.n_points > named[name].n_points:
                named[name] = plateau
    order = [name for name, _, _ in level_windows(capacities, memory_name)]
    return {name: named[name] for name in order if name in named}
