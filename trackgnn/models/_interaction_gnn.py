"""The Interaction Network edge classifier of Exa.TrkX: encoders, N residual IN steps, edge head."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Sequence

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from trackgnn.models._gathered_mlp import (GatheredInput, fast_paths_enabled, gathered_forward, gathered_mlp,
                                           inference_ready)
from trackgnn.models._interaction_conv import InteractionNetworkConv
from trackgnn.models._mlp import MLP

if TYPE_CHECKING:
    from trackgnn.models._segment_aggregate import Adjacency

__all__ = ["InteractionGNN"]


class InteractionGNN(nn.Module):
    r"""Score every edge of a hit graph.

    1. node encoder :math:`h = \phi_x(x)`, edge encoder :math:`e = \phi_e([h_{src}, h_{dst}, a])`
       (``a`` optional raw edge features);
    2. ``num_iterations`` :class:`InteractionNetworkConv` steps (residual), shared or not;
    3. edge head :math:`\phi_o([h_{src}, h_{dst}, e]) \to` one logit per edge.

    Parameters
    ----------
    node_features : int
        Input features per hit (e.g. 3 for scaled r, φ, z).
    edge_features : int
        Input features per edge (0 for none).
    hidden_channels : int
        Latent width of nodes and edges.
    num_iterations : int
        Message-passing steps.
    aggr : str or list of str
        Aggregation of each step (``"sum"``, ``"mean"``, ``"max"`` or several).
    direction : {"both", "in"}
        Whether hits aggregate their outgoing edges too (see :class:`InteractionNetworkConv`).
    mlp_layers : int
        Linear layers per encoder / update MLP.
    head_layers : int
        Linear layers of the edge head.
    activation, norm, dropout
        Passed to every :class:`MLP`.
    share_weights : bool
        One :class:`InteractionNetworkConv` applied ``num_iterations`` times (recurrent).
    checkpointing : bool
        Recompute each step in the backward pass (less memory for full events on a GPU).

    Shapes
    ------
    ``x`` (N, node_features), ``edge_index`` (2, E) rows (source, target),
    ``edge_attr`` (E, edge_features) or None → logits (E,).
    """

    def __init__(
        self,
        node_features: int,
        *,
        edge_features: int = 0,
        hidden_channels: int = 64,
        num_iterations: int = 8,
        aggr: str | Sequence[str] = "sum",
        direction: Literal["both", "in"] = "both",
        mlp_layers: int = 2,
        head_layers: int = 3,
        activation: str = "silu",
        norm: str | None = "layer",
        dropout: float = 0.0,
        share_weights: bool = False,
        checkpointing: bool = False,
    ) -> None:
        super().__init__()
        if node_features < 1 or edge_features < 0:
            raise ValueError(f"node_features must be ≥ 1 and edge_features ≥ 0, got {node_features}, {edge_features}")
        if num_iterations < 0 or hidden_channels < 1 or mlp_layers < 1 or head_layers < 1:
            raise ValueError("num_iterations must be ≥ 0; hidden_channels, mlp_layers and head_layers ≥ 1")
        self.node_features = node_features
        self.edge_features = edge_features
        self.hidden_channels = hidden_channels
        self.num_iterations = num_iterations
        self.share_weights = share_weights
        self.checkpointing = checkpointing
        options = dict(activation=activation, norm=norm, dropout=dropout)
        hidden = [hidden_channels] * (mlp_layers - 1)
        self.node_encoder = MLP([node_features, *hidden, hidden_channels], output_activation=True, **options)
        self.edge_encoder = MLP(
            [2 * hidden_channels + edge_features, *hidden, hidden_channels], output_activation=True, **options
        )
        n_convs = min(1, num_iterations) if share_weights else num_iterations
        self.convs = nn.ModuleList(
            InteractionNetworkConv(
                hidden_channels, aggr=aggr, direction=direction, mlp_layers=mlp_layers, **options
            )
            for _ in range(n_convs)
        )
        self.edge_head = MLP([3 * hidden_channels, *[hidden_channels] * (head_layers - 1), 1], **options)

    def reset_parameters(self) -> None:
        for module in (self.node_encoder, self.edge_encoder, *self.convs, self.edge_head):
            module.reset_parameters()

    def grouped(self, edge_index: Tensor, num_nodes: int) -> "Adjacency | None":
        """The graph grouped for the numba kernels (:class:`~trackgnn.models._segment_aggregate.Adjacency`)
        when they compute this network with gradients (CPU, fast paths enabled, kernel aggregations), for
        :meth:`embed` and :meth:`classify` to share; None otherwise, and on the inference path, which groups
        the graph itself."""
        if (edge_index.device.type != "cpu" or not fast_paths_enabled() or self._inference_ready()
                or not all(conv.kernel_ready for conv in self.convs)):
            return None
        from trackgnn.models._segment_aggregate import Adjacency  # numba: imported when first needed

        return Adjacency(edge_index, num_nodes)

    def embed(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None = None,
              adjacency: "Adjacency | None" = None) -> tuple[Tensor, Tensor]:
        """Latent node (N, hidden) and edge (E, hidden) features after all iterations.

        ``adjacency``: :meth:`grouped` of this graph, when the caller has it (else grouped here)."""
        if self.edge_features and (edge_attr is None or edge_attr.shape[-1] != self.edge_features):
            got = None if edge_attr is None else tuple(edge_attr.shape)
            raise ValueError(f"{self.__class__.__name__}: expected edge_attr of width {self.edge_features}, got {got}")
        if self._inference_ready():
            return self._embed_inference(x, edge_index, edge_attr)
        h = self.node_encoder(x)
        adjacency = adjacency if adjacency is not None else self.grouped(edge_index, x.shape[0])
        inputs = self._edge_inputs(h, edge_index, edge_attr if self.edge_features else None, adjacency)
        e = gathered_forward(self, self.edge_encoder, inputs, edge_index.shape[1])
        for k in range(self.num_iterations):
            conv = self.convs[0 if self.share_weights else k]
            if self.checkpointing and self.training and torch.is_grad_enabled():
                h, e = checkpoint(conv, h, edge_index, e, adjacency, use_reentrant=False)
            else:
                h, e = conv(h, edge_index, e, adjacency)
        return h, e

    def _inference_ready(self) -> bool:
        return inference_ready(self) and all(conv.kernel_ready for conv in self.convs)

    def _embed_inference(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None) -> tuple[Tensor, Tensor]:
        """:meth:`embed` in eval mode without gradient: chunked MLPs (:func:`gathered_mlp`) and the
        graph grouped once for every iteration's aggregation (:class:`Adjacency`)."""
        from trackgnn.models._segment_aggregate import Adjacency  # numba: imported when first needed

        h = gathered_mlp(self.node_encoder, [GatheredInput(x)], x.shape[0])
        inputs = self._edge_inputs(h, edge_index, edge_attr if self.edge_features else None, None)
        e = gathered_mlp(self.edge_encoder, inputs, edge_index.shape[1])
        adjacency = Adjacency(edge_index, x.shape[0])
        # one buffer for every iteration's node-update input (the convolutions share their widths)
        node_input = (torch.empty((x.shape[0], self.convs[0].node_mlp.in_channels), dtype=torch.float32)
                      if len(self.convs) else None)
        for k in range(self.num_iterations):
            conv = self.convs[0 if self.share_weights else k]
            h, e = conv.infer(h, edge_index, e, adjacency, in_place=True, node_input=node_input)  # h, e: ours
        return h, e

    @staticmethod
    def _edge_inputs(h: Tensor, edge_index: Tensor, edge_state: Tensor | None,
                     adjacency: "Adjacency | None") -> list[GatheredInput]:
        """``[h[src], h[dst], edge_state]`` as blocks, grouped by ``adjacency`` when there is one."""
        src, dst = edge_index
        outgoing, incoming = (None, None) if adjacency is None else (adjacency.outgoing, adjacency.incoming)
        inputs = [GatheredInput(h, src, outgoing), GatheredInput(h, dst, incoming)]
        return inputs + ([GatheredInput(edge_state)] if edge_state is not None else [])

    def classify(self, h: Tensor, edge_index: Tensor, e: Tensor, adjacency: "Adjacency | None" = None) -> Tensor:
        """Edge logits (E,) from latent node and edge features (``adjacency``: as in :meth:`embed`)."""
        inputs = self._edge_inputs(h, edge_index, e, adjacency)
        return gathered_forward(self, self.edge_head, inputs, edge_index.shape[1]).squeeze(-1)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None = None) -> Tensor:
        """Edge logits (E,); apply ``torch.sigmoid`` for scores in [0, 1]."""
        adjacency = self.grouped(edge_index, x.shape[0])
        h, e = self.embed(x, edge_index, edge_attr, adjacency)
        return self.classify(h, edge_index, e, adjacency)

    def __repr__(self) -> str:
        conv = self.convs[0] if len(self.convs) else "none"
        return (
            f"{self.__class__.__name__}(node_features={self.node_features}, edge_features={self.edge_features}, "
            f"hidden_channels={self.hidden_channels}, num_iterations={self.num_iterations}, "
            f"share_weights={self.share_weights}, conv={conv})"
        )
