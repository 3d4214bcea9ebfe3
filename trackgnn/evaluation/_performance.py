"""Tracking performance as data: double-majority efficiency, fake and duplicate rates, binned.

Counts are additive over events (:class:`TrackingCounts` ``+``); rates and their
binomial errors are computed once at the end (:meth:`TrackingCounts.rates`).
Inputs are the two tables of :func:`trackgnn.evaluation.match_tracks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_ETA_BINS",
    "DEFAULT_PT_BINS",
    "TrackingCounts",
    "TrackingRates",
    "reconstructable",
    "track_eta",
    "tracking_counts",
]

#: pT bin edges (GeV).
DEFAULT_PT_BINS: tuple[float, ...] = (0.1, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 100.0)
#: η bin edges.
DEFAULT_ETA_BINS: tuple[float, ...] = tuple(np.round(np.arange(-4.0, 4.01, 0.5), 2))


def reconstructable(
    particles: pd.DataFrame, *, min_hits: int = 5, pt_min: float = 0.0, pt_max: float | None = None,
    max_abs_eta: float | None = None,
) -> np.ndarray:
    """Mask of the particles a tracker is asked to find.

    Parameters
    ----------
    particles : DataFrame
        ``match_tracks``'s particle table (particle_id, pt in GeV, eta, nhits = truth rows).
    min_hits : int
        At least this many hits in the truth file.
    pt_min : float
        Transverse momentum strictly above this (GeV); 0 keeps all.
    pt_max : float, optional
        Transverse momentum at most this (GeV).
    max_abs_eta : float, optional
        |η| at most this.

    Returns
    -------
    ndarray
        (P,) bool, never true for noise (particle_id 0).
    """
    mask = (particles["particle_id"].to_numpy() != 0) & (particles["nhits"].to_numpy() >= min_hits)
    if pt_min > 0:
        mask &= particles["pt"].to_numpy() > pt_min
    if pt_max is not None:
        mask &= particles["pt"].to_numpy() <= pt_max
    if max_abs_eta is not None:
        mask &= np.abs(particles["eta"].to_numpy()) <= max_abs_eta
    return mask


def track_eta(hits: pd.DataFrame, submission: pd.DataFrame) -> pd.Series:
    """Pseudorapidity of each track's mean hit position seen from the origin, indexed by track_id."""
    merged = submission[["hit_id", "track_id"]].merge(hits[["hit_id", "x", "y", "z"]], on="hit_id")
    centre = merged.groupby("track_id")[["x", "y", "z"]].mean()
    r = np.hypot(centre["x"].to_numpy(np.float64), centre["y"].to_numpy(np.float64))
    return pd.Series(np.arcsinh(centre["z"].to_numpy(np.float64) / np.maximum(r, 1e-9)), index=centre.index)


def _hist(values: np.ndarray, edges: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    return np.histogram(values, bins=edges, weights=weights)[0].astype(np.int64)


_BINNED = ("particles", "reconstructed", "owned", "duplicates", "tracks", "fakes", "unmatched")


@dataclass
class TrackingCounts:
    """Additive counts behind efficiency, fake and duplicate rates.

    ``pt[name]`` / ``eta[name]`` hold per-bin counts, ``totals[name]`` the totals
    (including entries outside the bins) of particles, reconstructed particles, tracks
    owned by them, duplicates, candidate tracks, fakes and tracks not double-majority matched.  Particles (and the tracks they own)
    are binned by the particle's pT and η; fakes by the track's η and, when its
    majority particle is not noise, that particle's pT.
    """

    pt_bins: np.ndarray
    eta_bins: np.ndarray
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_BINNED, 0))
    pt: dict[str, np.ndarray] = field(default_factory=dict)
    eta: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pt_bins = np.asarray(self.pt_bins, dtype=np.float64)
        self.eta_bins = np.asarray(self.eta_bins, dtype=np.float64)
        for name in _BINNED:
            self.pt.setdefault(name, np.zeros(self.pt_bins.size - 1, dtype=np.int64))
            self.eta.setdefault(name, np.zeros(self.eta_bins.size - 1, dtype=np.int64))

    def __add__(self, other: "TrackingCounts") -> "TrackingCounts":
        if not (np.array_equal(self.pt_bins, other.pt_bins) and np.array_equal(self.eta_bins, other.eta_bins)):
            raise ValueError("TrackingCounts: cannot add counts with different bins")
        return TrackingCounts(
            self.pt_bins,
            self.eta_bins,
            {k: self.totals[k] + other.totals[k] for k in _BINNED},
            {k: self.pt[k] + other.pt[k] for k in _BINNED},
            {k: self.eta[k] + other.eta[k] for k in _BINNED},
        )

    def rates(self) -> "TrackingRates":
        """Efficiency, fake and duplicate rates with binomial errors."""
        t = self.totals
        return TrackingRates(
            n_particles=t["particles"],
            n_reconstructed=t["reconstructed"],
            n_tracks=t["tracks"],
            n_fakes=t["fakes"],
            n_unmatched=t["unmatched"],
            n_owned=t["owned"],
            n_duplicates=t["duplicates"],
            efficiency=_binomial_rate(t["reconstructed"], t["particles"]),
            fake_rate=_binomial_rate(t["fakes"], t["tracks"]),
            unmatched_rate=_binomial_rate(t["unmatched"], t["tracks"]),
            duplicate_rate=_binomial_rate(t["duplicates"], t["owned"]),
            pt_bins=self.pt_bins.tolist(),
            eta_bins=self.eta_bins.tolist(),
            efficiency_pt=_binomial_rates(self.pt["reconstructed"], self.pt["particles"]),
            efficiency_eta=_binomial_rates(self.eta["reconstructed"], self.eta["particles"]),
            fake_rate_pt=_binomial_rates(self.pt["fakes"], self.pt["tracks"]),
            fake_rate_eta=_binomial_rates(self.eta["fakes"], self.eta["tracks"]),
            duplicate_rate_pt=_binomial_rates(self.pt["duplicates"], self.pt["owned"]),
            duplicate_rate_eta=_binomial_rates(self.eta["duplicates"], self.eta["owned"]),
        )


def _binomial_rate(k: int, n: int) -> tuple[float, float]:
    """(k / n, binomial error sqrt(p (1 − p) / n)); NaN for n = 0."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    return (p, float(np.sqrt(p * (1 - p) / n)))


def _binomial_rates(k: np.ndarray, n: np.ndarray) -> dict[str, list[float]]:
    values = [_binomial_rate(int(a), int(b)) for a, b in zip(k, n)]
    return {"value": [v for v, _ in values], "error": [e for _, e in values], "count": [int(b) for b in n]}


@dataclass
class TrackingRates:
    """Rates as ``(value, binomial error)``; binned ones as ``{"value", "error", "count"}`` lists."""

    n_particles: int
    n_reconstructed: int
    n_tracks: int
    n_fakes: int
    n_unmatched: int
    n_owned: int
    n_duplicates: int
    efficiency: tuple[float, float]
    fake_rate: tuple[float, float]
    unmatched_rate: tuple[float, float]
    duplicate_rate: tuple[float, float]
    pt_bins: list[float]
    eta_bins: list[float]
    efficiency_pt: dict[str, list[float]]
    efficiency_eta: dict[str, list[float]]
    fake_rate_pt: dict[str, list[float]]
    fake_rate_eta: dict[str, list[float]]
    duplicate_rate_pt: dict[str, list[float]]
    duplicate_rate_eta: dict[str, list[float]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes None)."""
        def clean(value: Any) -> Any:
            if isinstance(value, float):
                return None if np.isnan(value) else value
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            return value

        return {f.name: clean(getattr(self, f.name)) for f in fields(self)}


def tracking_counts(
    tracks: pd.DataFrame,
    particles: pd.DataFrame,
    selected: np.ndarray,
    *,
    min_track_hits: int = 3,
    track_eta: pd.Series | None = None,
    pt_bins: tuple[float, ...] = DEFAULT_PT_BINS,
    eta_bins: tuple[float, ...] = DEFAULT_ETA_BINS,
) -> TrackingCounts:
    """Count one event's particles, reconstructed particles, tracks, fakes and duplicates.

    Parameters
    ----------
    tracks, particles : DataFrame
        From :func:`trackgnn.evaluation.match_tracks`.
    selected : ndarray
        (P,) bool mask over ``particles``: the particles efficiency and duplicates are about
        (see :func:`reconstructable`).
    min_track_hits : int
        Tracks with fewer hits are not candidates: they neither reconstruct a particle
        nor count as fakes (single leftover hits are tracks of one in a submission).
    track_eta : Series, optional
        η per track_id (:func:`track_eta`) to bin fakes in η; without it fakes are binned
        by their majority particle's η.

    Returns
    -------
    TrackingCounts
        A particle is reconstructed when at least one candidate track is double-majority
        matched to it.  A track is *owned* by a particle that has more than half of its
        hits.  A *duplicate* is an owned candidate track beyond the matched one of a
        reconstructed particle (the duplicate rate is duplicates / owned tracks of the
        selected particles).  A *fake* is a candidate track that is neither matched nor a
        duplicate: noise-dominated tracks, tracks mixing particles, and pieces of particles
        that no track reconstructs.  ``unmatched`` counts candidate tracks that are not
        double-majority matched (fakes plus duplicates).
    """
    counts = TrackingCounts(np.asarray(pt_bins, float), np.asarray(eta_bins, float))
    candidates = tracks.loc[tracks["n_hits"] >= min_track_hits]
    good = candidates["is_matched"].to_numpy() & (candidates["majority_particle_id"].to_numpy() != 0)

    owned = candidates["majority_fraction"].to_numpy() > 0.5
    owned &= candidates["majority_particle_id"].to_numpy() != 0

    def per_particle_count(rows: np.ndarray) -> np.ndarray:
        grouped = candidates.loc[rows].groupby("majority_particle_id").size()
        return grouped.reindex(particles["particle_id"], fill_value=0).to_numpy()

    pt = particles["pt"].to_numpy(np.float64)
    eta = particles["eta"].to_numpy(np.float64)
    sel = np.asarray(selected, dtype=bool)
    all_matched = per_particle_count(good)
    n_matched = all_matched[sel]
    n_owned = per_particle_count(owned)[sel]
    per_particle = {
        "particles": np.ones(int(sel.sum()), dtype=np.int64),
        "reconstructed": (n_matched > 0).astype(np.int64),
        "owned": n_owned,
        "duplicates": np.where(n_matched > 0, n_owned - 1, 0),
    }
    for name, weights in per_particle.items():
        counts.totals[name] = int(weights.sum())
        counts.pt[name] = _hist(pt[sel], counts.pt_bins, weights)
        counts.eta[name] = _hist(eta[sel], counts.eta_bins, weights)

    lookup = particles.set_index("particle_id")
    owner = candidates["majority_particle_id"]
    owner_pt = lookup["pt"].reindex(owner).to_numpy(np.float64)
    if track_eta is not None:
        cand_eta = track_eta.reindex(candidates["track_id"]).to_numpy(np.float64)
    else:
        cand_eta = lookup["eta"].reindex(owner).to_numpy(np.float64)
    matched_ids = particles["particle_id"].to_numpy()[all_matched > 0]
    duplicate = owned & ~good & np.isin(owner.to_numpy(), matched_ids)
    fake = (~good & ~duplicate).astype(np.int64)
    counts.totals["tracks"] = len(candidates)
    counts.totals["fakes"] = int(fake.sum())
    counts.totals["unmatched"] = int((~good).sum())
    has_pt = np.isfinite(owner_pt)
    counts.pt["tracks"] = _hist(owner_pt[has_pt], counts.pt_bins)
    counts.pt["fakes"] = _hist(owner_pt[has_pt], counts.pt_bins, fake[has_pt])
    has_eta = np.isfinite(cand_eta)
    counts.eta["tracks"] = _hist(cand_eta[has_eta], counts.eta_bins)
    counts.eta["fakes"] = _hist(cand_eta[has_eta], counts.eta_bins, fake[has_eta])
    return counts
