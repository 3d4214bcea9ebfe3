"""Exact TrackML scoring and track-level performance (double-majority matching)."""

from trackgnn.evaluation._budget import BUDGET_KINDS, ScoreBudget, reachable_particles, score_budget
from trackgnn.evaluation._matching import assign_tracks, majority_tracks, match_tracks, score_event
from trackgnn.evaluation._weights import is_primary, order_weight_table, pt_weight, weight_hits
from trackgnn.evaluation._performance import (
    DEFAULT_ETA_BINS,
    DEFAULT_PT_BINS,
    TrackingCounts,
    TrackingRates,
    reconstructable,
    track_eta,
    tracking_counts,
)
from trackgnn.evaluation._plots import plot_efficiency, plot_event_display, plot_fake_duplicate, plot_score_budget

__all__ = [
    "BUDGET_KINDS",
    "ScoreBudget",
    "assign_tracks",
    "is_primary",
    "majority_tracks",
    "match_tracks",
    "order_weight_table",
    "pt_weight",
    "reachable_particles",
    "score_budget",
    "score_event",
    "weight_hits",
    "DEFAULT_ETA_BINS",
    "DEFAULT_PT_BINS",
    "TrackingCounts",
    "TrackingRates",
    "reconstructable",
    "track_eta",
    "tracking_counts",
    "plot_efficiency",
    "plot_event_display",
    "plot_fake_duplicate",
    "plot_score_budget",
]
