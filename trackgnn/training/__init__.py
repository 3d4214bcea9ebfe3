"""The generic training loop shared by every stage (embedding, filter, GNN)."""

from trackgnn.training._checkpoint import (
    CHECKPOINT_FORMAT,
    compare_fingerprint,
    load_checkpoint,
    load_model_state,
    save_checkpoint,
)
from trackgnn.training._config import TrainingConfig
from trackgnn.training._distributed import DistContext, distributed, resolve_device, shard
from trackgnn.training._memory import is_out_of_memory, out_of_memory_guard, setting_values
from trackgnn.training._trainer import Trainer, TrainingTask, TrainResult, epoch_seed

__all__ = [
    "CHECKPOINT_FORMAT",
    "DistContext",
    "Trainer",
    "TrainingConfig",
    "TrainingTask",
    "TrainResult",
    "compare_fingerprint",
    "distributed",
    "epoch_seed",
    "is_out_of_memory",
    "load_checkpoint",
    "load_model_state",
    "out_of_memory_guard",
    "resolve_device",
    "save_checkpoint",
    "setting_values",
    "shard",
]
