"""Evaluate the whole chain on events with truth: edge, track and timing metrics (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from trackgnn.pipeline._chain import ChainResult, InferenceChain

__all__ = ["SELECTIONS", "EvaluationReport", "evaluate_chain"]

#: Particle selections of the track metrics: name → keyword arguments of ``reconstructable``.
SELECTIONS: dict[str, dict[str, Any]] = {
    "pT > 1 GeV, >= 5 hits": {"min_hits": 5, "pt_min": 1.0},
    "all, >= 5 hits": {"min_hits": 5, "pt_min": 0.0},
}


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
        Whether the chain ran on the hits passing the first stage's hard cuts.
    min_track_hits : int
        Shortest track counted.
    """

    events: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    edges: dict[str, Any] = field(default_factory=dict)
    rates: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, list[float]] = field(default_factory=dict)
    hard_cuts: bool = False
    min_track_hits: int = 3

    @property
    def mean_score(self) -> float:
        return float(np.mean(self.scores)) if self.scores else float("nan")

    def mean_seconds(self) -> dict[str, float]:
        return {step: float(np.mean(values)) for step, values in self.seconds.items()}

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
            "min_track_hits": self.min_track_hits,
            "trackml_score": {"mean": self.mean_score, "per_event": self.scores},
            "edges": self.edges,
            "tracks": {name: rates.to_dict() for name, rates in self.rates.items()},
            "seconds_per_event": self.mean_seconds(),
        })


def evaluate_chain(
    chain: InferenceChain,
    events: Iterable[tuple],
    *,
    hard_cuts: bool = True,
    min_track_hits: int = 3,
    on_event: Callable[[int, Any, ChainResult, Any], None] | None = None,
) -> EvaluationReport:
    """Run ``chain`` on each ``(event_id, hits, cells, particles, truth)`` and collect metrics.

    Parameters
    ----------
    chain : InferenceChain
    events : iterable
        TrackML frames per event (``cells`` may be None; truth and particles are required).
    hard_cuts : bool
        Run on the hits passing the first stage's hard cuts (what the models were trained
        on); the submission still covers every hit (the others are single-hit tracks), so
        the TrackML score is that of the full event.
    min_track_hits : int
        Shortest track that counts (see :func:`trackgnn.evaluation.tracking_counts`).
    on_event : callable, optional
        Called as ``on_event(event_id, hits, result, submission)`` after each event.
    """
    from trackgnn.evaluation import (
        match_tracks,
        reconstructable,
        score_event,
        track_eta,
        tracking_counts,
        weight_hits,
    )
    from trackgnn.graph import summarize_edge_counts
    from trackgnn.tracking import to_submission

    report = EvaluationReport(hard_cuts=hard_cuts, min_track_hits=min_track_hits)
    edge_totals: dict[str, Any] = {}
    counts: dict[str, Any] = {}
    for event_id, hits, cells, particles, truth in events:
        result = chain.run(event_id, hits, cells, particles, truth, hard_cuts=hard_cuts)
        submission = to_submission(event_id, hits["hit_id"].to_numpy(), result.labels)
        weighted = weight_hits(truth, particles)
        report.events.append(int(event_id))
        report.scores.append(score_event(weighted, submission))
        tracks, particle_table = match_tracks(weighted, submission, particles)
        eta = track_eta(hits, submission)
        for name, selection in SELECTIONS.items():
            event_counts = tracking_counts(tracks, particle_table, reconstructable(particle_table, **selection),
                                           min_track_hits=min_track_hits, track_eta=eta)
            counts[name] = event_counts if name not in counts else counts[name] + event_counts
        for stage, stage_counts in result.edge_counts.items():
            edge_totals[stage] = stage_counts if stage not in edge_totals else edge_totals[stage] + stage_counts
        for step, value in result.seconds.items():
            report.seconds.setdefault(step, []).append(value)
        if on_event is not None:
            on_event(int(event_id), hits, result, submission)
    report.edges = {stage: summarize_edge_counts(total) for stage, total in edge_totals.items()}
    report.rates = {name: total.rates() for name, total in counts.items()}
    return report
