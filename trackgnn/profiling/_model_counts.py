"""Analytic counts of trackgnn's own networks, built from :mod:`._counters`.

Each function takes the real module and the event's sizes and follows its
``forward`` step by step (gathers, concatenations, MLPs, residual adds,
scatter aggregations), with the conventions of :mod:`._counters`.
"""

from __future__ import annotations

from trackgnn.profiling._counters import (
    Cost,
    count_elementwise,
    count_gather,
    count_mlp,
    count_scatter_add,
    sum_costs,
)

__all__ = ["count_embedding_net", "count_edge_filter", "count_interaction_gnn", "count_concat"]


def count_concat(n_rows: int, width: int, itemsize: int = 4, name: str = "concat") -> Cost:
    """``torch.cat`` into an ``(n_rows, width)`` tensor: every element read once and written once."""
    return Cost(name, 0.0, float(2 * n_rows * width * itemsize))


def count_embedding_net(model, n_hits: int) -> Cost:
    """``EmbeddingNet``: its MLP on every hit, plus L2 normalisation (3 FLOPs per element) if enabled."""
    mlp = getattr(model, "mlp", model)
    parts = [count_mlp(mlp, n_hits)]
    if getattr(model, "normalize", False):
        width = [m for m in mlp.modules() if hasattr(m, "out_features")][-1].out_features
        parts.append(count_elementwise(n_hits * width, 3, name="L2 normalise"))
    return sum_costs(f"embedding ({n_hits} hits)", parts)


def count_edge_filter(model, n_edges: int, node_dim: int) -> Cost:
    """``EdgeFilterNet`` + sigmoid: gather both hits, concat with the edge features, MLP per edge.

    The concatenated width is the MLP's input width (``2 node_dim + edge_dim``).
    """
    width = next(m for m in model.mlp.modules() if hasattr(m, "in_features")).in_features
    parts = [count_gather(n_edges, node_dim, name="gather x_src"), count_gather(n_edges, node_dim, name="gather x_dst"),
             count_concat(n_edges, width), count_mlp(model.mlp, n_edges),
             count_elementwise(n_edges, 3, name="sigmoid")]
    return sum_costs(f"edge filter ({n_edges} edges)", parts)


def _conv_step(conv, n_nodes: int, n_edges: int) -> Cost:
    c = conv.channels
    n_aggr = len(conv.aggr_names) * (2 if conv.direction == "both" else 1)
    parts = [count_gather(n_edges, c, name="gather h_i"), count_gather(n_edges, c, name="gather h_j"),
             count_concat(n_edges, 3 * c), count_mlp(conv.edge_mlp, n_edges),
             count_elementwise(n_edges * c, 1, n_inputs=2, name="edge residual")]
    for _ in range(n_aggr):
        parts.append(count_scatter_add(n_edges, n_nodes, c))
    parts += [count_concat(n_nodes, (1 + n_aggr) * c), count_mlp(conv.node_mlp, n_nodes),
              count_elementwise(n_nodes * c, 1, n_inputs=2, name="node residual")]
    return sum_costs(f"interaction step (N={n_nodes}, E={n_edges})", parts)


def count_interaction_gnn(model, n_nodes: int, n_edges: int) -> Cost:
    """``InteractionGNN`` forward + sigmoid on a graph of ``n_nodes`` hits and ``n_edges`` edges."""
    h = model.hidden_channels
    ef = model.edge_features
    parts = [count_mlp(model.node_encoder, n_nodes),
             count_gather(n_edges, h, name="gather h_src"), count_gather(n_edges, h, name="gather h_dst"),
             count_concat(n_edges, 2 * h + ef), count_mlp(model.edge_encoder, n_edges)]
    for k in range(model.num_iterations):
        parts.append(_conv_step(model.convs[0 if model.share_weights else k], n_nodes, n_edges))
    parts += [count_gather(n_edges, h, name="gather h_src"), count_gather(n_edges, h, name="gather h_dst"),
              count_concat(n_edges, 3 * h), count_mlp(model.edge_head, n_edges),
              count_elementwise(n_edges, 3, name="sigmoid")]
    return sum_costs(f"interaction GNN (N={n_nodes}, E={n_edges}, {model.num_iterations} steps)", parts)

