"""Graph construction: exact fixed-radius neighbour search backends, edge orientation, truth, metrics."""

from trackgnn.graph._allowed_search import ALLOWED_SEARCH_BACKENDS, allowed_backend_name, allowed_neighbours
from trackgnn.graph._backends import (
    BACKENDS,
    NeighbourBlock,
    knn_within_radius,
    neighbour_blocks,
    register_backend,
    resolve_backend,
    resolved_backend_name,
)
from trackgnn.graph._edge_features import EDGE_FEATURES, edge_geometry
from trackgnn.graph._build import edge_labels, edge_lengths, orient_edges, radius_graph, truth_edge_mask
from trackgnn.graph._layer_map import LayerPairMap, PairFilter, detector_layer_codes
from trackgnn.graph._loss_weights import PT_WEIGHTINGS, edge_loss_weights, score_pt_weight
from trackgnn.graph._select import select_neighbours
from trackgnn.graph._metrics import (
    PT_BINS,
    EdgeCounts,
    edge_counts,
    edge_metrics,
    edge_summary,
    summarize_edge_counts,
)

__all__ = [
    "ALLOWED_SEARCH_BACKENDS",
    "allowed_backend_name",
    "allowed_neighbours",
    "EDGE_FEATURES",
    "edge_geometry",
    "BACKENDS",
    "PT_BINS",
    "EdgeCounts",
    "PT_WEIGHTINGS",
    "LayerPairMap",
    "NeighbourBlock",
    "PairFilter",
    "detector_layer_codes",
    "edge_counts",
    "edge_labels",
    "edge_lengths",
    "edge_loss_weights",
    "edge_metrics",
    "edge_summary",
    "knn_within_radius",
    "neighbour_blocks",
    "orient_edges",
    "radius_graph",
    "register_backend",
    "resolve_backend",
    "resolved_backend_name",
    "select_neighbours",
    "score_pt_weight",
    "summarize_edge_counts",
    "truth_edge_mask",
]
