"""The metric-learning embedding network: hit features → points in an N-dim space."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from torch import Tensor, nn

from trackgnn.config import check_sizes
from trackgnn.graph import LayerPairMap
from trackgnn.models import ACTIVATIONS, MLP, GatheredInput, chunk_rows_for, gathered_forward

__all__ = ["EmbeddingModelConfig", "EmbeddingNet"]


@dataclass
class EmbeddingModelConfig:
    """``model:`` block of the embedding stage.

    Attributes
    ----------
    hidden_channels, num_layers : int
        Width and number of hidden layers (formerly ``hidden``, ``n_layers``: those names are errors).
    out_dim : int
        Dimension of the embedding space.
    norm : {'layer', 'batch', 'none'}
    activation : {'relu', 'silu', 'tanh', 'gelu'}
    normalize : bool
        Project embeddings onto the unit sphere.
    """

    #: Old key names, rejected with a message naming the new one.
    renamed_keys: ClassVar[dict[str, str]] = {"hidden": "hidden_channels", "n_layers": "num_layers"}

    hidden_channels: int = 256
    num_layers: int = 4
    out_dim: int = 8
    norm: Literal["layer", "batch", "none"] = "layer"
    activation: str = "tanh"
    normalize: bool = False

    def __post_init__(self) -> None:
        if self.hidden_channels < 1 or self.num_layers < 1 or self.out_dim < 1:
            raise ValueError(f"hidden_channels, num_layers and out_dim must be >= 1, got "
                             f"{self.hidden_channels}, {self.num_layers}, {self.out_dim}")
        check_sizes("width", hidden_channels=self.hidden_channels, out_dim=self.out_dim)
        check_sizes("depth", num_layers=self.num_layers)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation: could not resolve {self.activation!r} among {sorted(ACTIVATIONS)}")


class EmbeddingNet(nn.Module):
    """Map hit features ``(n_hits, in_dim)`` to embeddings ``(n_hits, out_dim)``.

    ``layer_pairs`` (:class:`trackgnn.graph.LayerPairMap`) holds the detector layer pairs seen
    in the training truth; it is saved with the weights and restricts the graph built on the
    embedding to those pairs.
    """

    def __init__(self, in_dim: int, config: EmbeddingModelConfig) -> None:
        super().__init__()
        self.mlp = MLP([in_dim, *[config.hidden_channels] * config.num_layers, config.out_dim],
                       norm=None if config.norm == "none" else config.norm, activation=config.activation)
        self.normalize = config.normalize
        self.layer_pairs = LayerPairMap()
        self._chunk_rows = chunk_rows_for(config.hidden_channels)

    def reset_parameters(self) -> None:
        self.mlp.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (n_hits, in_dim) → (n_hits, out_dim).  At inference, the MLP runs over cache-sized chunks of
        hits on the row threads (:func:`trackgnn.models.gathered_forward`): a full event's activations
        (117k × 128 floats per layer) stream through memory otherwise, ~3x slower, same numbers."""
        out = gathered_forward(self, self.mlp, [GatheredInput(x)], x.shape[0], chunk_rows=self._chunk_rows)
        return nn.functional.normalize(out, dim=-1) if self.normalize else out

    def __repr__(self) -> str:
        return f"EmbeddingNet({self.mlp!r}, normalize={self.normalize})"
