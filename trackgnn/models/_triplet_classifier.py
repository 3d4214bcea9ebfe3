"""Classify triplets (inner → middle → outer hits) from two edges' latents and their geometry."""

from __future__ import annotations

from torch import Tensor, nn

from trackgnn.models._gathered_mlp import GatheredInput, gathered_forward
from trackgnn.models._mlp import MLP

__all__ = ["TripletClassifier"]


class TripletClassifier(nn.Module):
    r"""An MLP over ``[e_in, e_out, h_middle, g]`` giving one logit per triplet.

    ``e_in`` / ``e_out`` are the latent features of the incoming and outgoing edge
    (from :meth:`InteractionGNN.embed`), ``h_middle`` the shared hit's latent features
    and ``g`` geometric features of the three hits (curvature, z0 compatibility,
    bending and polar-angle changes, the two edge scores; see
    :func:`trackgnn.tracking.triplet_features`).

    Parameters
    ----------
    edge_channels : int
        Width of edge latents (0 to use geometry only).
    node_channels : int
        Width of node latents (0 to leave them out).
    geometric_features : int
        Width of ``g`` (0 for none).
    hidden_channels, num_layers, activation, norm, dropout
        The MLP's shape (``num_layers`` linear layers).

    Shapes
    ------
    ``node_latent`` (N, node_channels), ``edge_latent`` (E, edge_channels),
    ``edge_index`` (2, E), ``triplets`` (2, T) edge indices (incoming, outgoing),
    ``geometry`` (T, geometric_features) → logits (T,).
    """

    def __init__(
        self,
        edge_channels: int,
        *,
        node_channels: int = 0,
        geometric_features: int = 0,
        hidden_channels: int = 64,
        num_layers: int = 3,
        activation: str = "silu",
        norm: str | None = "layer",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        in_channels = 2 * edge_channels + node_channels + geometric_features
        if min(edge_channels, node_channels, geometric_features) < 0 or in_channels < 1:
            raise ValueError("TripletClassifier: needs at least one input (edge, node or geometric features)")
        self.edge_channels = edge_channels
        self.node_channels = node_channels
        self.geometric_features = geometric_features
        self.mlp = MLP(
            [in_channels, *[hidden_channels] * (num_layers - 1), 1],
            activation=activation, norm=norm, dropout=dropout,
        )

    def reset_parameters(self) -> None:
        self.mlp.reset_parameters()

    def forward(
        self,
        edge_index: Tensor,
        triplets: Tensor,
        *,
        edge_latent: Tensor | None = None,
        node_latent: Tensor | None = None,
        geometry: Tensor | None = None,
    ) -> Tensor:
        """Triplet logits (T,)."""
        edge_in, edge_out = triplets
        blocks: list[GatheredInput] = []
        if self.edge_channels:
            blocks += [GatheredInput(self._need(edge_latent, "edge_latent"), edge_in),
                       GatheredInput(edge_latent, edge_out)]
        if self.node_channels:
            blocks.append(GatheredInput(self._need(node_latent, "node_latent"), edge_index[1, edge_in]))
        if self.geometric_features:
            blocks.append(GatheredInput(self._need(geometry, "geometry")))
        return gathered_forward(self, self.mlp, blocks, triplets.shape[1]).squeeze(-1)

    def _need(self, value: Tensor | None, name: str) -> Tensor:
        if value is None:
            raise ValueError(f"{self.__class__.__name__}: {name} is required by this model's configuration")
        return value

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(edge_channels={self.edge_channels}, node_channels={self.node_channels}, "
            f"geometric_features={self.geometric_features}, mlp={self.mlp.channels})"
        )
