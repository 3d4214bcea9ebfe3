"""The Interaction Network step against a hand computation, aggregations and edge cases."""

from __future__ import annotations

import pytest
import torch

from trackgnn.models import InteractionNetworkConv

EDGE_INDEX = torch.tensor([[0, 1, 1, 3], [1, 2, 3, 2]])  # rows: source j, target i


def _hand(conv: InteractionNetworkConv, x, edge_index, e, reduce):
    """Loop-by-loop version of the layer, using the layer's own MLPs."""
    e_new = torch.stack([
        e[k] + conv.edge_mlp(torch.cat([x[i], x[j], e[k]])[None])[0]
        for k, (j, i) in enumerate(edge_index.t().tolist())
    ])
    out = []
    for node in range(x.shape[0]):
        parts = [x[node]]
        for side in (1, 0):  # incoming (node is the target), then outgoing (node is the source)
            msgs = e_new[edge_index[side] == node]
            for name in reduce:
                if len(msgs) == 0:
                    parts.append(torch.zeros(x.shape[1]))
                elif name == "sum":
                    parts.append(msgs.sum(0))
                elif name == "mean":
                    parts.append(msgs.mean(0))
                else:
                    parts.append(msgs.max(0).values)
        out.append(x[node] + conv.node_mlp(torch.cat(parts)[None])[0])
    return torch.stack(out), e_new


@pytest.mark.parametrize("aggr", ["sum", "mean", "max", ["sum", "max"]])
def test_one_step_matches_a_hand_computation(aggr):
    torch.manual_seed(0)
    conv = InteractionNetworkConv(4, aggr=aggr, norm=None)
    x, e = torch.randn(5, 4), torch.randn(4, 4)  # node 4 has no edges
    got_x, got_e = conv(x, EDGE_INDEX, e)
    want_x, want_e = _hand(conv, x, EDGE_INDEX, e, [aggr] if isinstance(aggr, str) else aggr)
    torch.testing.assert_close(got_e, want_e)
    torch.testing.assert_close(got_x, want_x)


def test_incoming_only_direction_ignores_outgoing_edges():
    torch.manual_seed(1)
    conv = InteractionNetworkConv(3, direction="in", norm=None)
    x, e = torch.randn(4, 3), torch.randn(4, 3)
    got_x, _ = conv(x, EDGE_INDEX, e)
    # node 0 only has an outgoing edge: it sees an all-zero aggregate
    torch.testing.assert_close(got_x[0], x[0] + conv.node_mlp(torch.cat([x[0], torch.zeros(3)])[None])[0])


def test_zero_edge_graph_gives_empty_edges_and_finite_nodes():
    conv = InteractionNetworkConv(8, aggr=["sum", "mean", "max"], norm="batch")
    conv.eval()
    x = torch.randn(6, 8)
    new_x, new_e = conv(x, torch.zeros((2, 0), dtype=torch.long), torch.zeros((0, 8)))
    assert new_e.shape == (0, 8) and new_x.shape == (6, 8) and torch.isfinite(new_x).all()


def test_reset_parameters_repr_and_bad_arguments():
    conv = InteractionNetworkConv(4, aggr=["sum", "max"])
    before = conv.edge_mlp[0].weight.clone()
    conv.reset_parameters()
    assert not torch.equal(before, conv.edge_mlp[0].weight)
    assert repr(conv) == "InteractionNetworkConv(4, aggr=['sum', 'max'], direction='both')"
    with pytest.raises(ValueError, match=r"could not resolve 'median' among \['sum', 'mean', 'max'"):
        InteractionNetworkConv(4, aggr="median")
    with pytest.raises(ValueError, match=r"could not resolve 'out' among \['both', 'in'\]"):
        InteractionNetworkConv(4, direction="out")
