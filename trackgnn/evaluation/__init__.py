"""Exact TrackML scoring and track-level performance (double-majority matching)."""

from trackgnn.evaluation._matching import assign_tracks, majority_tracks, match_tracks, score_event
from trackgnn.evaluation._weights import is_primary, order_weight_table, pt_weight, weight_hits

__all__ = [
    "assign_tracks",
    "is_primary",
    "majority_tracks",
    "match_tracks",
    "order_weight_table",
    "pt_weight",
    "score_event",
    "weight_hits",
]
