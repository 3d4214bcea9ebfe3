"""The stage framework: base Stage (train/infer contract), registry, shared config, data module, runner, report."""

from trackgnn.stages._base import Stage, config_record, find_producer_config, producer_command
from trackgnn.stages._config import NODE_FEATURES, StageConfig, check_train_sectors
from trackgnn.stages._data import SPLITS, EventDataModule, node_feature_matrix
from trackgnn.stages._report import format_edge_metrics, format_train_result, update_metrics_json
from trackgnn.stages._registry import STAGES, register_stage, registered_stages, resolve_stage
from trackgnn.stages._runner import ensure_stage_ready, infer_stage, load_stage_config, train_stage
from trackgnn.stages._trained import Step, StepHook, TrainedStage, run_step, shallow_copy

__all__ = [
    "NODE_FEATURES",
    "SPLITS",
    "STAGES",
    "EventDataModule",
    "Stage",
    "StageConfig",
    "check_train_sectors",
    "Step",
    "StepHook",
    "TrainedStage",
    "config_record",
    "ensure_stage_ready",
    "find_producer_config",
    "format_edge_metrics",
    "format_train_result",
    "infer_stage",
    "load_stage_config",
    "node_feature_matrix",
    "producer_command",
    "register_stage",
    "registered_stages",
    "resolve_stage",
    "run_step",
    "shallow_copy",
    "train_stage",
    "update_metrics_json",
]
