"""Edge-level metrics of a graph against the truth, per pT bin (pure functions)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from trackgnn.graph._build import edge_labels, truth_edge_mask
from trackgnn.ratios import f1_score, ratio

__all__ = ["PT_BINS", "EdgeCounts", "edge_counts", "summarize_edge_counts", "edge_metrics", "edge_summary"]

#: pT bin edges (GeV) of the metrics: 0-0.5, 0.5-1, 1-2, > 2.
PT_BINS: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, math.inf)


@dataclass
class EdgeCounts:
    """Additive counts of one or more events, per pT bin (arrays of shape (n_bins,))."""

    pt_bins: tuple[float, ...] = PT_BINS
    n_events: int = 0
    truth: np.ndarray = field(default_factory=lambda: np.zeros(len(PT_BINS) - 1, np.int64))
    truth_kept: np.ndarray = field(default_factory=lambda: np.zeros(len(PT_BINS) - 1, np.int64))
    edges: np.ndarray = field(default_factory=lambda: np.zeros(len(PT_BINS) - 1, np.int64))
    true_edges: np.ndarray = field(default_factory=lambda: np.zeros(len(PT_BINS) - 1, np.int64))
    hits: np.ndarray = field(default_factory=lambda: np.zeros(len(PT_BINS) - 1, np.int64))
    endpoints: np.ndarray = field(default_factory=lambda: np.zeros(len(PT_BINS) - 1, np.int64))

    def __add__(self, other: "EdgeCounts") -> "EdgeCounts":
        return EdgeCounts(self.pt_bins, self.n_events + other.n_events,
                          *(getattr(self, f) + getattr(other, f)
                            for f in ("truth", "truth_kept", "edges", "true_edges", "hits", "endpoints")))


def _bin(pt: np.ndarray, bins: tuple[float, ...]) -> np.ndarray:
    return np.clip(np.searchsorted(np.asarray(bins), pt, side="right") - 1, 0, len(bins) - 2)


def edge_counts(edge_index, track_edges, particle_id, pt, pt_bins: tuple[float, ...] = PT_BINS,
                edge_mask=None) -> EdgeCounts:
    """Count truth edges, kept truth edges, edges, true edges and hits of one event per pT bin.

    Parameters
    ----------
    edge_index : Tensor of shape (2, n_edges)
        The graph (any orientation).
    track_edges : Tensor of shape (2, n_truth_edges)
        Target truth edges (after hard cuts); binned by their particle's pT.
    particle_id, pt : Tensor of shape (n_hits,)
        Truth per hit (pT in GeV, 0 for noise).
    edge_mask : Tensor of shape (n_edges,), bool, optional
        Only these edges are "kept" (e.g. score above a cut).

    Notes
    -----
    An edge is true when both hits belong to the same non-noise particle; it is
    binned by the pT of its source hit's particle (noise in the lowest bin).  A hit's
    degree counts both edge ends.
    """
    if edge_mask is not None:
        edge_index = edge_index[:, edge_mask]
    n = int(particle_id.shape[0])
    nb = len(pt_bins) - 1
    pt_np = pt.cpu().numpy()
    found, _ = truth_edge_mask(edge_index, track_edges, n)
    truth_bin = _bin(pt_np[track_edges[0].cpu().numpy()], pt_bins)
    edge_bin = _bin(pt_np[edge_index[0].cpu().numpy()], pt_bins)
    hit_bin = _bin(pt_np, pt_bins)
    true = edge_labels(edge_index, particle_id).cpu().numpy()
    ends = np.concatenate([hit_bin[edge_index[0].cpu().numpy()], hit_bin[edge_index[1].cpu().numpy()]])
    count = lambda b, w=None: np.bincount(b, weights=w, minlength=nb).astype(np.int64)  # noqa: E731
    return EdgeCounts(
        tuple(pt_bins), 1,
        count(truth_bin), count(truth_bin, found.cpu().numpy().astype(float)),
        count(edge_bin), count(edge_bin, true.astype(float)),
        count(hit_bin), count(ends),
    )


def _summary(c_truth, c_kept, c_edges, c_true, c_hits, c_ends, n_events) -> dict:
    return {
        "efficiency": ratio(c_kept, c_truth),
        "purity": ratio(c_true, c_edges),
        "mean_degree": ratio(c_ends, c_hits),
        "edges_per_event": ratio(c_edges, n_events),
        "truth_edges": int(c_truth),
        "truth_edges_kept": int(c_kept),
        "edges": int(c_edges),
        "true_edges": int(c_true),
        "hits": int(c_hits),
    }


def summarize_edge_counts(counts: EdgeCounts) -> dict:
    """Efficiency, purity, mean degree and edges per event, overall and per pT bin.

    Returns
    -------
    dict
        ``{"n_events", "overall": {...}, "pt_bins": [{"pt_min", "pt_max", ...}, ...]}``;
        ratios are NaN where the denominator is 0.
    """
    c = counts
    fields = (c.truth, c.truth_kept, c.edges, c.true_edges, c.hits, c.endpoints)
    bins = []
    for i in range(len(c.pt_bins) - 1):
        row = {"pt_min": c.pt_bins[i], "pt_max": c.pt_bins[i + 1]}
        row.update(_summary(*(f[i] for f in fields), c.n_events))
        bins.append(row)
    return {"n_events": c.n_events, "overall": _summary(*(f.sum() for f in fields), c.n_events),
            "pt_bins": bins}


def edge_metrics(events, pt_bins: tuple[float, ...] = PT_BINS, mask_attr: str | None = None) -> dict:
    """:func:`summarize_edge_counts` over event ``Data`` objects (``edge_index``, ``track_edges``,
    ``particle_id``, ``pt``; ``mask_attr`` names a boolean per-edge attribute of kept edges)."""
    total = EdgeCounts(tuple(pt_bins), 0, *(np.zeros(len(pt_bins) - 1, np.int64) for _ in range(6)))
    for data in events:
        mask = data[mask_attr] if mask_attr else None
        total = total + edge_counts(data.edge_index, data.track_edges, data.particle_id, data.pt,
                                    pt_bins, mask)
    return summarize_edge_counts(total)


def edge_summary(counts: EdgeCounts | None) -> dict[str, float]:
    """Overall ``efficiency``, ``purity``, their harmonic mean ``f1`` and ``mean_degree`` (NaN without events)."""
    if counts is None:
        return {name: float("nan") for name in ("efficiency", "purity", "f1", "mean_degree")}
    overall = summarize_edge_counts(counts)["overall"]
    eff, pur = overall["efficiency"], overall["purity"]
    return {"efficiency": eff, "purity": pur, "f1": f1_score(eff, pur), "mean_degree": overall["mean_degree"]}
