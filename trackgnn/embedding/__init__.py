"""The embedding stage: metric learning (hit features → a space where hits of one particle are
close) and the radius graph built in that space."""

from trackgnn.embedding._graph import GraphConfig, embedding_graph
from trackgnn.embedding._loss import hinge_loss
from trackgnn.embedding._model import EmbeddingModelConfig, EmbeddingNet
from trackgnn.embedding._pairs import hard_negative_pairs, sample_pairs
from trackgnn.embedding._task import EmbeddingTask, PairConfig, hit_order_key
from trackgnn.embedding._stage import EmbeddingStage, EmbeddingStageConfig

__all__ = [
    "EmbeddingModelConfig",
    "EmbeddingNet",
    "EmbeddingStage",
    "EmbeddingStageConfig",
    "EmbeddingTask",
    "GraphConfig",
    "PairConfig",
    "embedding_graph",
    "hard_negative_pairs",
    "hinge_loss",
    "hit_order_key",
    "sample_pairs",
]
