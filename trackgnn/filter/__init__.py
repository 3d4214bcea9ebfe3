"""The filter stage: an edge-classifier MLP that prunes the embedding graph before the GNN."""

from trackgnn.filter._network import EdgeFilterNet, FilterModelConfig, edge_scores, select_edges
from trackgnn.filter._stage import FilterStage, FilterStageConfig, FilterTask

__all__ = [
    "EdgeFilterNet",
    "FilterModelConfig",
    "FilterStage",
    "FilterStageConfig",
    "FilterTask",
    "edge_scores",
    "select_edges",
]
