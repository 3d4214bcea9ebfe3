"""Evaluate the whole chain on events with truth: edge, track and timing metrics (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from trackgnn.pipeline._chain import ChainResult, InferenceChain

if TYPE_CHECKING:
    from trackgnn.stages import StepHook

__all__ = ["FAKE_TRACK_LENGTHS", "SELECTIONS", "EvaluationReport", "evaluate_chain", "hard_cut_hits", "hard_cut_rows",
           "truth_gnn_hook", "truth_graph"]

#: Particle selections of the track metrics: name → keyword arguments of ``reconstructable``.
SELECTIONS: dict[str, dict[str, Any]] = {
    "pT > 1 GeV, >= 5 hits": {"min_hits": 5, "pt_min": 1.0},
    "0.5-1 GeV, >= 5 hits": {"min_hits": 5, "pt_min": 0.5, "pt_max": 1.0},
    "all, >= 5 hits": {"min_hits": 5, "pt_min": 0.0},
}

#: Shortest tracks of the fake-rate table (fakes among tracks with at least this many hits).
FAKE_TRACK_LENGTHS: tuple[int, ...] = (5, 3)


@dataclass
class EvaluationReport:
    """Everything ``trackgnn evaluate`` prints and writes.

    Attributes
    ----------
    events : list of int
    scores : list of float
        Exact TrackML score per event (all hits, phase-1 weights).
    edges : dict
        Stage → :func:`trackgnn.graph.summarize_edge_counts` of its output graph over all events.
    rates : dict
        Selection name → :class:`trackgnn.evaluation.TrackingRates`.
    seconds : dict
        Step → list of seconds per event.
    hard_cuts : bool
        Whether the truth removed hits before the chain ran (the first stage's hard cuts: an
        explicit, non-default mode for comparing with published pT > 1 GeV benchmarks).
    truth_gnn : bool
        Whether the truth replaced the GNN's edge and triplet scores (:func:`truth_gnn_hook`: a
        diagnosis of what the stages around a perfect GNN reach, not a result).
    fakes : dict
        Shortest track length → :class:`trackgnn.evaluation.TrackingRates` over all tracks
        with at least that many hits (its fake rate is the one to read).
    min_track_hits : int
        Shortest track counted.
    budget : dict
        :meth:`trackgnn.evaluation.ScoreBudget.per_event`: per kind of particle, the score's
        weight, the weight still reachable in each stage's graph and the weight scored.
    """

    events: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    edges: dict[str, Any] = field(default_factory=dict)
    rates: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, list[float]] = field(default_factory=dict)
    hard_cuts: bool = False
    truth_gnn: bool = False
    min_track_hits: int = 3
    fakes: dict[int, Any] = field(default_factory=dict)
    budget: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def mean_score(self) -> float:
        return float(np.mean(self.scores)) if self.scores else float("nan")

    def mean_seconds(self) -> dict[str, float]:
        return {step: float(np.mean(values)) for step, values in self.seconds.items()}

    def median_seconds(self) -> dict[str, float]:
        """Per step, the median over events: robust to the first event, which also compiles the numba kernels."""
        return {step: float(np.median(values)) for step, values in self.seconds.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes None, infinite bin edges "inf")."""
        def clean(value):
            if isinstance(value, float) and np.isnan(value):
                return None
            if isinstance(value, float) and np.isinf(value):
                return "inf" if value > 0 else "-inf"
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            return value

        return clean({
            "n_events": len(self.events),
            "events": self.events,
            "hard_cuts": self.hard_cuts,
            "truth_gnn": self.truth_gnn,
            "min_track_hits": self.min_track_hits,
            "trackml_score": {"mean": self.mean_score, "per_event": self.scores},
            "edges": self.edges,
            "score_budget": self.budget,
            "tracks": {name: rates.to_dict() for name, rates in self.rates.items()},
            "fake_rate": {f">= {n} hits": {"tracks": r.n_tracks, "fakes": r.n_fakes, "rate": list(r.fake_rate)}
                          for n, r in self.fakes.items()},
            "seconds_per_event": self.median_seconds(),
            "seconds_per_event_mean": self.mean_seconds(),
        })


def truth_graph(hits, particles, truth):
    """Per-hit truth (``particle_id``, ``pt``) and the truth edges of an event, for scoring only.

    Returns
    -------
    dict
        ``particle_id`` and ``pt`` tensors of shape (n_hits,) and ``track_edges`` (2, T), in
        the row order of ``hits``.
    """
    import torch

    from trackgnn.processing import hit_truth, layer_key, truth_edges

    info = hit_truth(hits, particles, truth)
    layer = layer_key(hits["volume_id"].to_numpy(), hits["layer_id"].to_numpy())
    edges = truth_edges(info["particle_id"], info["vertex_distance"], layer)
    return {"particle_id": torch.from_numpy(np.array(info["particle_id"])),
            "pt": torch.from_numpy(np.array(info["pt"])),
            "track_edges": torch.from_numpy(edges)}


def truth_gnn_hook(hit_id: np.ndarray, track_edges) -> "StepHook":
    """Diagnosis only: a chain hook (:data:`~trackgnn.stages.StepHook`) that replaces the GNN's
    scores, in every pass, by the truth of the event whose hits have ``hit_id``.

    ``track_edges`` (2, T) are the event's truth edges between rows of ``hit_id``
    (:func:`truth_graph`).  After each ``gnn`` step, an edge scores 1 when it is a truth edge
    (consecutive hits of one particle, :func:`trackgnn.graph.truth_edge_mask`) and 0 otherwise, and
    a triplet 1 when both its edges do (:func:`trackgnn.tracking.triplet_truth`); the track builder,
    its repair passes, the selection and the second pass then run as usual.  The score this reaches
    is the ceiling of the chain around a perfect GNN: what the embedding and filter let through and
    the track builder makes of it.  The truth enters the chain here, so nothing measured with it is
    a result.
    """
    import torch

    from trackgnn.graph import truth_edge_mask
    from trackgnn.stages import run_step
    from trackgnn.tracking import triplet_truth

    hit_id = np.asarray(hit_id, np.int64)
    truth_hits = hit_id[np.asarray(track_edges)]  # (2, T) hit ids: the passes index their own rows
    row_of = np.full(int(hit_id.max()) + 1 if hit_id.size else 1, -1, np.int64)

    def hook(step, item):
        out = run_step(step, item)
        if step.name.rpartition("_")[2] != "gnn" or out.edge_index.shape[1] == 0:
            return out
        ids = out.hit_id.numpy()
        row_of[ids] = np.arange(ids.size)
        ends = row_of[truth_hits]
        row_of[ids] = -1
        inside = torch.from_numpy(ends[:, (ends >= 0).all(axis=0)])
        true = truth_edge_mask(out.edge_index, inside, int(out.num_nodes))[1]
        out.edge_score = true.float()
        out.edge_kept = true
        if out.triplet_index.shape[1]:
            out.triplet_score = triplet_truth(true, out.triplet_index).float()
        return out

    return hook


def hard_cut_rows(hits, particles, truth, cuts) -> np.ndarray:
    """Rows of ``hits`` that pass ``cuts`` (decided with the truth)."""
    from types import SimpleNamespace

    import torch

    from trackgnn.processing import hard_cut_mask, hit_truth

    info = {k: torch.from_numpy(np.array(v)) for k, v in hit_truth(hits, particles, truth).items()}
    return hard_cut_mask(SimpleNamespace(num_nodes=len(hits), **info), cuts).numpy()


def hard_cut_hits(hits, cells, particles, truth, cuts) -> tuple[np.ndarray, Any, Any]:
    """The rows of ``hits`` passing ``cuts`` (decided with the truth), those hits and their cells."""
    rows = np.flatnonzero(hard_cut_rows(hits, particles, truth, cuts))
    seen = hits.iloc[rows].reset_index(drop=True)
    return rows, seen, None if cells is None else cells[cells["hit_id"].isin(seen["hit_id"])]


def evaluate_chain(
    chain: InferenceChain,
    events: Iterable[tuple],
    *,
    hard_cuts: bool = False,
    truth_gnn: bool = False,
    min_track_hits: int = 3,
    on_event: Callable[[int, Any, ChainResult, Any], None] | None = None,
) -> EvaluationReport:
    """Run ``chain`` on each ``(event_id, hits, cells, particles, truth)`` and score it.

    The chain receives the hits and cells only, exactly as ``trackgnn reconstruct`` runs it;
    the truth and particles are used afterwards, to score.

    Parameters
    ----------
    chain : InferenceChain
    events : iterable
        TrackML frames per event (``cells`` may be None; truth and particles are required).
    hard_cuts : bool
        Explicit benchmark mode: the truth first removes the hits failing the first stage's
        hard cuts (e.g. pT < 1 GeV and noise), the chain runs on the rest, and the removed
        hits become single-hit tracks (the TrackML score still covers every hit).  Not what
        a user with hits alone can do; the report says so.
    truth_gnn : bool
        Diagnosis: the truth replaces the GNN's scores (:func:`truth_gnn_hook`) to measure the
        ceiling of the stages around it; the report says so.
    min_track_hits : int
        Shortest track that counts in efficiency and duplicate rate
        (see :func:`trackgnn.evaluation.tracking_counts`).
    on_event : callable, optional
        Called as ``on_event(event_id, hits, result, submission)`` after each event.
    """
    from trackgnn.evaluation import (
        ScoreBudget,
        match_tracks,
        reconstructable,
        score_budget,
        score_event,
        track_eta,
        tracking_counts,
        weight_hits,
    )
    from trackgnn.graph import edge_counts, summarize_edge_counts
    from trackgnn.tracking import to_submission

    from trackgnn.stages import run_step

    report = EvaluationReport(hard_cuts=hard_cuts, truth_gnn=truth_gnn, min_track_hits=min_track_hits)
    edge_totals: dict[str, Any] = {}
    counts: dict[Any, Any] = {}
    budget = ScoreBudget()

    def add(key, value, store=counts):
        store[key] = value if key not in store else store[key] + value

    for event_id, hits, cells, particles, truth in events:
        rows, seen, seen_cells = np.arange(len(hits)), hits, cells
        if hard_cuts:
            rows, seen, seen_cells = hard_cut_hits(hits, cells, particles, truth, chain.hard_cuts)
        labelled = truth_graph(seen, particles, truth) if truth_gnn else None  # scores too: computed once
        hook = truth_gnn_hook(seen["hit_id"].to_numpy(), labelled["track_edges"]) if truth_gnn else run_step
        result = chain.run(event_id, seen, seen_cells, hook=hook)
        labels = np.full(len(hits), -1, dtype=np.int64)
        labels[rows] = result.labels
        result.labels = labels
        submission = to_submission(event_id, hits["hit_id"].to_numpy(), labels)
        weighted = weight_hits(truth, particles)
        report.events.append(int(event_id))
        report.scores.append(score_event(weighted, submission))
        tracks, particle_table = match_tracks(weighted, submission, particles)
        eta = track_eta(hits, submission)
        for name, selection in SELECTIONS.items():
            add(name, tracking_counts(tracks, particle_table, reconstructable(particle_table, **selection),
                                      min_track_hits=min_track_hits, track_eta=eta))
        everything = reconstructable(particle_table, min_hits=0)
        for length in FAKE_TRACK_LENGTHS:
            add(length, tracking_counts(tracks, particle_table, everything, min_track_hits=length, track_eta=eta))
        if labelled is None and result.graphs:
            labelled = truth_graph(seen, particles, truth)
        budget = budget + score_budget(weighted, particle_table,
                                       None if labelled is None else labelled["particle_id"].numpy(),
                                       result.graphs, tracks)
        if labelled is not None:
            for stage, graph in result.graphs.items():
                add(stage, edge_counts(graph, labelled["track_edges"], labelled["particle_id"], labelled["pt"]),
                    edge_totals)
        for step, value in result.seconds.items():
            report.seconds.setdefault(step, []).append(value)
        if on_event is not None:
            on_event(int(event_id), hits, result, submission)
    report.edges = {stage: summarize_edge_counts(total) for stage, total in edge_totals.items()}
    report.rates = {name: counts[name].rates() for name in SELECTIONS if name in counts}
    report.fakes = {length: counts[length].rates() for length in FAKE_TRACK_LENGTHS if length in counts}
    report.budget = budget.per_event()
    return report
