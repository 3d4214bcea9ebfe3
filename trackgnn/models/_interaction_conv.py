"""One Interaction Network message-passing step (Battaglia et al. 2016, as in Exa.TrkX)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Sequence

import torch
from torch import Tensor
from torch_geometric.nn import MessagePassing

from trackgnn.models._gathered_mlp import GatheredInput, gathered_forward, gathered_mlp
from trackgnn.models._mlp import MLP

if TYPE_CHECKING:
    from trackgnn.models._segment_aggregate import Adjacency

__all__ = ["InteractionNetworkConv"]

Aggregation = str | Sequence[str]
_AGGREGATIONS = ("sum", "mean", "max", "min", "std", "var")


def _check_aggr(aggr: Aggregation) -> list[str] | str:
    names = [aggr] if isinstance(aggr, str) else list(aggr)
    if not names:
        raise ValueError(f"aggr: give at least one of {list(_AGGREGATIONS)}")
    for name in names:
        if name not in _AGGREGATIONS:
            raise ValueError(f"aggr: could not resolve {name!r} among {list(_AGGREGATIONS)}")
    return names[0] if len(names) == 1 else names


class InteractionNetworkConv(MessagePassing):
    r"""Edge update, then node update, both residual.

    For a directed edge :math:`j \to i` with features :math:`e_{ij}`:

    .. math::
        e'_{ij} = e_{ij} + \phi_e([h_i, h_j, e_{ij}])

        h'_i = h_i + \phi_n([h_i, \square_{j \to i} e'_{ij}, \square_{i \to k} e'_{ik}])

    where :math:`\square` is the aggregation (``aggr``; a list concatenates several).
    With ``direction="both"`` (default) a hit hears both its incoming (inner) and
    outgoing (outer) edges, separately, which matters on the inner→outer directed
    graphs of tracking; ``"in"`` keeps only incoming messages (PyG's usual flow).

    Parameters
    ----------
    channels : int
        Width of node and edge latent features (residuals need equal widths).
    aggr : str or list of str
        ``"sum"``, ``"mean"``, ``"max"`` (also ``"min"``, ``"std"``, ``"var"``) or a list of
        them (PyG's ``MultiAggregation``, concatenated).
    direction : {"both", "in"}
        Which edges a node aggregates.
    mlp_layers : int
        Linear layers in each of :math:`\phi_e` and :math:`\phi_n`.
    activation, norm, dropout
        Passed to :class:`~trackgnn.models.MLP`.

    Shapes
    ------
    ``x`` (N, channels), ``edge_index`` (2, E) rows (source j, target i), ``edge_attr``
    (E, channels) → ``(x', edge_attr')`` of the same shapes.
    """

    def __init__(
        self,
        channels: int,
        *,
        aggr: Aggregation = "sum",
        direction: Literal["both", "in"] = "both",
        mlp_layers: int = 2,
        activation: str = "silu",
        norm: str | None = "layer",
        dropout: float = 0.0,
    ) -> None:
        aggr = _check_aggr(aggr)
        if direction not in ("both", "in"):
            raise ValueError(f"direction: could not resolve {direction!r} among ['both', 'in']")
        if channels < 1 or mlp_layers < 1:
            raise ValueError(f"channels and mlp_layers must be ≥ 1, got {channels} and {mlp_layers}")
        super().__init__(aggr=aggr)
        self.channels = channels
        self.direction = direction
        self.aggr_names = [aggr] if isinstance(aggr, str) else list(aggr)
        n_aggr = len(self.aggr_names) * (2 if direction == "both" else 1)
        hidden = [channels] * (mlp_layers - 1)
        options = dict(activation=activation, norm=norm, dropout=dropout)
        self.edge_mlp = MLP([3 * channels, *hidden, channels], **options)
        self.node_mlp = MLP([(1 + n_aggr) * channels, *hidden, channels], **options)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.edge_mlp.reset_parameters()
        self.node_mlp.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor,
                adjacency: "Adjacency | None" = None) -> tuple[Tensor, Tensor]:
        """Return updated ``(x, edge_attr)``; an empty graph gives empty edges and ``φ_n([h, 0])``.

        ``adjacency`` (the graph grouped by :class:`~trackgnn.models._segment_aggregate.Adjacency`,
        CPU tensors, :attr:`kernel_ready`) aggregates with the numba kernels, gradient included, and
        the edge update splits its first layer (:func:`~trackgnn.models.gathered_forward`: the hits
        projected, then gathered); without it PyG's ``edge_updater`` and ``propagate`` do (any
        device, any aggregation).
        """
        if adjacency is not None:
            src, dst = edge_index
            inputs = [GatheredInput(x, dst, adjacency.incoming), GatheredInput(x, src, adjacency.outgoing),
                      GatheredInput(edge_attr)]  # [x_i, x_j, e], as edge_update
            edge_attr = edge_attr + gathered_forward(self, self.edge_mlp, inputs, edge_attr.shape[0])
            aggregated = adjacency.aggregate(edge_attr, self.aggr_names, self.direction == "both")
            return x + self.update(aggregated, x), edge_attr
        edge_attr = edge_attr + self.edge_updater(edge_index, x=x, edge_attr=edge_attr)
        n = x.size(0)
        x = x + self.propagate(edge_index, x=x, edge_attr=edge_attr, size=(n, n))
        return x, edge_attr

    @property
    def kernel_ready(self) -> bool:
        """Whether :meth:`infer` computes this step (its aggregations are :data:`KERNEL_AGGREGATIONS`)."""
        from trackgnn.models._segment_aggregate import KERNEL_AGGREGATIONS

        return all(name in KERNEL_AGGREGATIONS for name in self.aggr_names)

    def infer(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, adjacency: "Adjacency", *,
              in_place: bool = False, node_input: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """:meth:`forward` for inference (eval mode, no gradient, :attr:`kernel_ready`), reusing the
        graph's grouping ``adjacency``: chunked MLPs without concatenations, one-pass aggregations.

        ``in_place``: the updated ``x`` and ``edge_attr`` overwrite the given ones (chunk by chunk,
        each chunk reading its own rows first), and ``node_input`` (float32, (N, node MLP input
        width)) holds the node update's input: no new full-graph tensors, whose page faults cost
        ~0.2 ms per MB (the iterations of a full event's GNN: ~120 MB each).
        """
        src, dst = edge_index
        inputs = [GatheredInput(x, dst), GatheredInput(x, src), GatheredInput(edge_attr)]  # [x_i, x_j, e]
        edge_attr = gathered_mlp(self.edge_mlp, inputs, edge_attr.shape[0], residual=edge_attr,
                                 out=edge_attr if in_place else None)
        shape = (x.shape[0], self.node_mlp.in_channels)
        if node_input is None or tuple(node_input.shape) != shape or node_input.dtype != torch.float32:
            node_input = torch.empty(shape, dtype=torch.float32)
        node_input[:, :x.shape[1]] = x
        adjacency.aggregate(edge_attr, self.aggr_names, self.direction == "both", out=node_input, col0=x.shape[1])
        x = gathered_mlp(self.node_mlp, [GatheredInput(node_input)], x.shape[0], residual=x,
                         out=x if in_place else None)
        return x, edge_attr

    def edge_update(self, x_i: Tensor, x_j: Tensor, edge_attr: Tensor) -> Tensor:
        return self.edge_mlp(torch.cat([x_i, x_j, edge_attr], dim=-1))

    def message(self, edge_attr: Tensor) -> Tensor:
        return edge_attr

    def aggregate(self, inputs: Tensor, index: Tensor, edge_index_j: Tensor, dim_size: int | None = None) -> Tensor:
        incoming = self.aggr_module(inputs, index, dim_size=dim_size)
        if self.direction == "in":
            return incoming
        outgoing = self.aggr_module(inputs, edge_index_j, dim_size=dim_size)
        return torch.cat([incoming, outgoing], dim=-1)

    def update(self, aggr_out: Tensor, x: Tensor) -> Tensor:
        return self.node_mlp(torch.cat([x, aggr_out], dim=-1))

    def __repr__(self) -> str:
        aggr = self.aggr_names[0] if len(self.aggr_names) == 1 else self.aggr_names
        return f"{self.__class__.__name__}({self.channels}, aggr={aggr!r}, direction={self.direction!r})"
