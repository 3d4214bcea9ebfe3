"""From scored hit graphs to tracks: triplets, track builders, TrackML submissions."""

from trackgnn.tracking._connected_components import connected_components
from trackgnn.tracking._dbscan import dbscan
from trackgnn.tracking._extend import extend_tracks
from trackgnn.tracking._follow import follow_tracks
from trackgnn.tracking._graph import ScoredGraph
from trackgnn.tracking._labels import compact_labels
from trackgnn.tracking._quality import TRACK_FEATURES, TrackQualityNet, select_tracks, track_features
from trackgnn.tracking._quality_fit import fit_track_quality, matched_tracks
from trackgnn.tracking._stitch import stitch_tracks
from trackgnn.tracking._surfaces import DetectorSurfaces, detector_surfaces
from trackgnn.tracking._registry import TRACK_BUILDERS, TrackBuilder, build_tracks, resolve_track_builder
from trackgnn.tracking._submission import to_submission
from trackgnn.tracking._triplet_geometry import TRIPLET_FEATURES, triplet_features
from trackgnn.tracking._triplets import build_triplets, triplet_hits, triplet_truth
from trackgnn.tracking._walkthrough import walkthrough

__all__ = [
    "DetectorSurfaces",
    "ScoredGraph",
    "TRACK_BUILDERS",
    "TRACK_FEATURES",
    "TRIPLET_FEATURES",
    "TrackBuilder",
    "TrackQualityNet",
    "build_tracks",
    "build_triplets",
    "compact_labels",
    "connected_components",
    "dbscan",
    "detector_surfaces",
    "extend_tracks",
    "fit_track_quality",
    "follow_tracks",
    "matched_tracks",
    "resolve_track_builder",
    "select_tracks",
    "stitch_tracks",
    "to_submission",
    "track_features",
    "triplet_features",
    "triplet_hits",
    "triplet_truth",
    "walkthrough",
]
