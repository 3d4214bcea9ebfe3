"""Network layers the stages build their networks from: the MLP block (every stage), the Interaction
Network layer and GNN and the triplet classifier (the GNN stage)."""

from trackgnn.models._dense_linear import dense_linear, onednn_linear
from trackgnn.models._gathered_mlp import (
    GatheredInput,
    chunk_rows_for,
    fast_inference,
    gathered_forward,
    gathered_mlp,
    inference_ready,
    row_kernels,
)
from trackgnn.models._interaction_conv import InteractionNetworkConv
from trackgnn.models._interaction_gnn import InteractionGNN
from trackgnn.models._mlp import ACTIVATIONS, MLP, resolve_activation
from trackgnn.models._triplet_classifier import TripletClassifier

__all__ = [
    "ACTIVATIONS",
    "GatheredInput",
    "InteractionGNN",
    "InteractionNetworkConv",
    "MLP",
    "TripletClassifier",
    "chunk_rows_for",
    "dense_linear",
    "fast_inference",
    "gathered_forward",
    "gathered_mlp",
    "inference_ready",
    "onednn_linear",
    "resolve_activation",
    "row_kernels",
]
