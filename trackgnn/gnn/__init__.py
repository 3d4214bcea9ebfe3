"""The GNN stage: Interaction Network edge classifier, triplet classifier, track building."""

from trackgnn.gnn._bootstrap import ensure_upstream, upstream_configs
from trackgnn.gnn._chain import ChainResult, InferenceChain
from trackgnn.gnn._config import EDGE_FEATURES, GNNModelConfig, GNNStageConfig, TrackBuildingConfig, TripletConfig
from trackgnn.gnn._evaluate import SELECTIONS, EvaluationReport, evaluate_chain
from trackgnn.gnn._events import default_test_events, iter_raw_events
from trackgnn.gnn._infer import GNNInference
from trackgnn.gnn._inputs import edge_feature_matrix, edge_targets, hit_positions
from trackgnn.gnn._network import EdgeTripletNetwork, EdgeTripletOutput
from trackgnn.gnn._reconstruct import reconstruct_events
from trackgnn.gnn._stage import GNNStage
from trackgnn.gnn._task import GNNTask

__all__ = [
    "SELECTIONS",
    "ChainResult",
    "EvaluationReport",
    "InferenceChain",
    "default_test_events",
    "evaluate_chain",
    "iter_raw_events",
    "reconstruct_events",
    "upstream_configs",
    "EDGE_FEATURES",
    "EdgeTripletNetwork",
    "EdgeTripletOutput",
    "GNNInference",
    "GNNModelConfig",
    "GNNStage",
    "GNNStageConfig",
    "GNNTask",
    "TrackBuildingConfig",
    "TripletConfig",
    "edge_feature_matrix",
    "edge_targets",
    "ensure_upstream",
    "hit_positions",
]
