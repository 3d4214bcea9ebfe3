"""The GNN stage: Interaction Network edge classifier and triplet classifier; tracks per event."""

from trackgnn.gnn._config import (EDGE_FEATURES, FinalExtensionConfig, GNNModelConfig, GNNStageConfig, SecondPassConfig,
                                  TrackBuildingConfig, TrackQualityConfig, TripletConfig)
from trackgnn.gnn._infer import gnn_scores, gnn_steps
from trackgnn.gnn._inputs import edge_feature_matrix, edge_targets
from trackgnn.gnn._quality import TrackSelection, fit_selection, load_selection
from trackgnn.gnn._network import EdgeTripletNetwork, EdgeTripletOutput
from trackgnn.gnn._stage import GNNStage
from trackgnn.gnn._second_pass import (load_second_pass, load_second_pass_filter, second_pass_config,
                                      second_pass_filter_config, second_pass_upstream, train_second_pass)
from trackgnn.gnn._task import GNNTask

__all__ = [
    "EDGE_FEATURES",
    "EdgeTripletNetwork",
    "EdgeTripletOutput",
    "FinalExtensionConfig",
    "GNNModelConfig",
    "GNNStage",
    "GNNStageConfig",
    "GNNTask",
    "SecondPassConfig",
    "TrackBuildingConfig",
    "TrackQualityConfig",
    "TrackSelection",
    "TripletConfig",
    "edge_feature_matrix",
    "edge_targets",
    "fit_selection",
    "gnn_scores",
    "gnn_steps",
    "load_second_pass",
    "load_second_pass_filter",
    "load_selection",
    "second_pass_config",
    "second_pass_filter_config",
    "second_pass_upstream",
    "train_second_pass",
]
