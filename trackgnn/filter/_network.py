"""Edge filter network: scores candidate edges from both hits' features and their embedding distance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
from torch import Tensor, nn

from trackgnn.config import check_sizes

__all__ = ["FilterModelConfig", "EdgeFilterNet", "edge_scores", "select_edges"]


@dataclass
class FilterModelConfig:
    """``model:`` block of the filter stage: MLP width ``hidden_channels``, depth ``num_layers``
    (formerly ``hidden``, ``n_layers``: those names are errors), normalisation, activation."""

    #: Old key names, rejected with a message naming the new one.
    renamed_keys: ClassVar[dict[str, str]] = {"hidden": "hidden_channels", "n_layers": "num_layers"}

    hidden_channels: int = 256
    num_layers: int = 3
    norm: Literal["layer", "batch", "none"] = "layer"
    activation: str = "silu"

    def __post_init__(self) -> None:
        from trackgnn.models import ACTIVATIONS

        if self.hidden_channels < 1 or self.num_layers < 1:
            raise ValueError(f"hidden_channels and num_layers must be >= 1, got {self.hidden_channels}, "
                             f"{self.num_layers}")
        check_sizes("width", hidden_channels=self.hidden_channels)
        check_sizes("depth", num_layers=self.num_layers)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation: could not resolve {self.activation!r} among {sorted(ACTIVATIONS)}")


class EdgeFilterNet(nn.Module):
    """Logit per edge from ``[x_src, x_dst, edge_attr]``.

    Parameters
    ----------
    node_dim : int
        Number of per-hit input features.
    edge_dim : int
        Number of per-edge features (e.g. :func:`trackgnn.graph.edge_geometry`, which
        includes the embedding distance).
    config : FilterModelConfig
    """

    def __init__(self, node_dim: int, edge_dim: int, config: FilterModelConfig) -> None:
        super().__init__()
        from trackgnn.models import MLP

        self.mlp = MLP([2 * node_dim + edge_dim, *[config.hidden_channels] * config.num_layers, 1],
                       norm=None if config.norm == "none" else config.norm, activation=config.activation)

    def reset_parameters(self) -> None:
        self.mlp.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        """``x`` (n_hits, node_dim), ``edge_index`` (2, n_edges), ``edge_attr`` (n_edges, edge_dim)
        → logits (n_edges,)."""
        from trackgnn.models import GatheredInput, gathered_forward

        inputs = [GatheredInput(x, edge_index[0]), GatheredInput(x, edge_index[1]), GatheredInput(edge_attr)]
        return gathered_forward(self, self.mlp, inputs, edge_index.shape[1]).squeeze(-1)

    def __repr__(self) -> str:
        return f"EdgeFilterNet({self.mlp!r})"


def edge_scores(model: nn.Module, x: Tensor, edge_index: Tensor, edge_attr: Tensor,
                chunk_size: int = 500_000) -> Tensor:
    """Sigmoid scores of all edges, evaluated in chunks of ``chunk_size`` edges so memory stays
    bounded; the inference path (:func:`~trackgnn.models.inference_ready`) bounds its memory by
    chunks of rows itself and runs once, projecting the hits' features once, not once per chunk."""
    from trackgnn.models import inference_ready

    if inference_ready(model):
        chunk_size = max(1, edge_index.shape[1])
    parts = [torch.sigmoid(model(x, edge_index[:, s:s + chunk_size], edge_attr[s:s + chunk_size]))
             for s in range(0, edge_index.shape[1], chunk_size)]
    if not parts:
        return torch.zeros(0, device=x.device)
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def select_edges(data, keep: Tensor):
    """Copy of event ``data`` keeping only edges where ``keep`` (and their ``y``/``edge_*`` attributes).

    The copy shares the other (per-hit, per-event) tensors with ``data``: nothing here modifies
    tensors in place, and cloning a full event's edge tensors only to replace them cost seconds.
    """
    from trackgnn.stages import shallow_copy

    out = shallow_copy(data)
    kept = keep.nonzero().squeeze(1)  # once: a boolean mask would find the kept edges again per tensor
    out.edge_index = data.edge_index.index_select(1, kept)
    for key in data.keys():
        if key == "y" or (key.startswith("edge_") and key != "edge_index"):
            out[key] = data[key].index_select(0, kept)
    return out
