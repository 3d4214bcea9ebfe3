"""Performance plots (PNG, with a JSON of the plotted numbers beside each) and an event display."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import numpy as np

from trackgnn.evaluation._performance import TrackingRates
from trackgnn.io import atomic_path

__all__ = ["plot_efficiency", "plot_event_display", "plot_fake_duplicate", "plot_score_budget"]


def _figure(ncols: int, width: float = 5.5, height: float = 4.2):
    from matplotlib.figure import Figure  # no pyplot: no global backend state

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    return fig, [fig.add_subplot(1, ncols, k + 1) for k in range(ncols)]


def _save(fig, path: Path, numbers: dict) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    with atomic_path(path.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(numbers, indent=1, allow_nan=False, default=_json_default))
    return path


def _json_default(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    raise TypeError(f"not JSON serialisable: {value!r}")


def _nan_to_none(values):
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in values]


def _binned(ax, edges, binned: dict, label: str, log_x: bool = False) -> None:
    edges = np.asarray(edges, dtype=float)
    centres = np.sqrt(edges[:-1] * edges[1:]) if log_x else 0.5 * (edges[:-1] + edges[1:])
    value = np.asarray(binned["value"], dtype=float)
    error = np.asarray(binned["error"], dtype=float)
    has = np.isfinite(value)
    ax.errorbar(
        centres[has], value[has], yerr=error[has],
        xerr=[(centres - edges[:-1])[has], (edges[1:] - centres)[has]],
        fmt="o", ms=4, capsize=2, label=label,
    )
    if log_x:
        ax.set_xscale("log")


def _rate_plot(path: Path, rates: Mapping[str, TrackingRates], keys: list[tuple[str, str]], ylabel: str):
    fig, axes = _figure(len(keys))
    numbers: dict = {}
    for ax, (key, axis) in zip(axes, keys):
        for name, r in rates.items():
            binned = getattr(r, f"{key}_{axis}")
            _binned(ax, getattr(r, f"{axis}_bins"), binned, name, log_x=axis == "pt")
            numbers.setdefault(name, {})[f"{key}_{axis}"] = {
                "bins": getattr(r, f"{axis}_bins"),
                **{k: _nan_to_none(v) for k, v in binned.items()},
            }
        ax.set_xlabel("$p_T$ [GeV]" if axis == "pt" else r"$\eta$")
        ax.set_ylabel(key.replace("_", " "))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(ylabel)
    return _save(fig, path, numbers)


def plot_efficiency(rates: Mapping[str, TrackingRates], path: str | Path) -> Path:
    """Double-majority track efficiency vs pT and vs η, one series per particle selection.

    Parameters
    ----------
    rates : mapping
        Selection name (e.g. ``"pT > 1 GeV"``) → :class:`TrackingRates`.
    path : path
        PNG to write; ``path.with_suffix(".json")`` gets the plotted numbers.
    """
    return _rate_plot(Path(path), rates, [("efficiency", "pt"), ("efficiency", "eta")], "Track efficiency")


def plot_fake_duplicate(rates: Mapping[str, TrackingRates], path: str | Path) -> Path:
    """Fake rate vs pT and η, and duplicate rate vs pT and η (binomial errors)."""
    keys = [("fake_rate", "pt"), ("fake_rate", "eta"), ("duplicate_rate", "pt"), ("duplicate_rate", "eta")]
    return _rate_plot(Path(path), rates, keys, "Fake and duplicate rates")


def plot_event_display(
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    labels: np.ndarray,
    path: str | Path,
    *,
    max_tracks: int | None = 300,
    title: str = "",
) -> Path:
    """x-y and r-z views of one event: hits in no track in grey, each found track a coloured line.

    Parameters
    ----------
    x, y, z : ndarray
        (N,) hit positions (mm).
    labels : ndarray
        (N,) track label per hit (−1: none).
    max_tracks : int, optional
        Draw at most this many tracks (the longest), to keep the picture readable.
    """
    x, y, z = (np.asarray(v, dtype=np.float64) for v in (x, y, z))
    labels = np.asarray(labels)
    r = np.hypot(x, y)
    fig, (ax_xy, ax_rz) = _figure(2, width=6.0, height=5.5)
    free = labels < 0
    ax_xy.scatter(x[free], y[free], s=0.3, c="0.75", rasterized=True)
    ax_rz.scatter(z[free], r[free], s=0.3, c="0.75", rasterized=True)
    ids, sizes = np.unique(labels[~free], return_counts=True)
    if max_tracks is not None and ids.size > max_tracks:
        ids = ids[np.argsort(-sizes, kind="stable")[:max_tracks]]
    from matplotlib import colormaps

    colours = colormaps["tab20"]
    for k, track in enumerate(ids):
        hit = np.flatnonzero(labels == track)
        hit = hit[np.argsort(r[hit], kind="stable")]
        colour = colours(k % 20)
        ax_xy.plot(x[hit], y[hit], "-o", lw=0.7, ms=1.5, color=colour)
        ax_rz.plot(z[hit], r[hit], "-o", lw=0.7, ms=1.5, color=colour)
    ax_xy.set(xlabel="x [mm]", ylabel="y [mm]", aspect="equal")
    ax_rz.set(xlabel="z [mm]", ylabel="r [mm]")
    fig.suptitle(title or f"{ids.size} tracks drawn, {int(free.sum())} hits in no track")
    numbers = {"n_hits": int(labels.size), "n_tracks": int(np.unique(labels[~free]).size),
               "n_tracks_drawn": int(ids.size), "n_unassigned_hits": int(free.sum())}
    return _save(fig, Path(path), numbers)


def plot_score_budget(budget: Mapping[str, Mapping[str, float]], path: str | Path) -> Path:
    """Stacked bars of :meth:`trackgnn.evaluation.ScoreBudget.per_event`: the score's weight per kind of
    particle, what each stage's graph still reaches of it, and what the tracks scored.

    Parameters
    ----------
    budget : mapping
        Kind → {"weight", each stage, "scored"} (score weight per event).
    path : str or Path
        PNG to write; ``path.with_suffix(".json")`` gets the plotted numbers.
    """
    fig, (ax,) = _figure(1, width=7.0)
    columns = list(next(iter(budget.values()), {}))
    bottom = np.zeros(len(columns))
    for kind, values in budget.items():
        heights = np.array([values[c] for c in columns])
        ax.bar(columns, heights, bottom=bottom, label=kind)
        bottom += heights
    ax.set_ylabel("TrackML score weight per event")
    ax.set_title("score reachable after each stage, and scored")
    ax.legend(fontsize=8)
    return _save(fig, path, {"columns": columns, "budget": dict(budget)})
