"""Analytic FLOP/byte counters against hand counts and torch's own FLOP counter, on real modules."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torch_geometric.nn import MessagePassing

from trackgnn.profiling import (
    count_connected_components,
    count_knn,
    count_linear,
    count_matmul,
    count_message_passing,
    count_mlp,
)


def torch_flops(fn) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops()


class InteractionLayer(MessagePassing):
    """One Interaction-Network step: edge MLP on [x_i, x_j], sum aggregation, node MLP on [x, aggr]."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__(aggr="add")
        self.edge_mlp = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.node_mlp = nn.Sequential(nn.Linear(dim + hidden, hidden), nn.ReLU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        aggregated = self.propagate(edge_index, x=x)
        return self.node_mlp(torch.cat([x, aggregated], dim=1))

    def message(self, x_i: torch.Tensor, x_j: torch.Tensor) -> torch.Tensor:
        return self.edge_mlp(torch.cat([x_i, x_j], dim=1))


def test_matmul_is_2nkm_and_matches_torch():
    a, b = torch.randn(7, 5), torch.randn(5, 3)
    cost = count_matmul(7, 5, 3)
    assert cost.flops == 2 * 7 * 5 * 3 == 210
    assert cost.bytes == 4 * (7 * 5 + 5 * 3 + 7 * 3)
    assert torch_flops(lambda: a @ b) == cost.flops


def test_mlp_hand_count_and_torch_sees_only_the_matmuls():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(8, 16), nn.SiLU(), nn.LayerNorm(16), nn.Linear(16, 4), nn.Dropout(0.1))
    n = 50
    cost = count_mlp(mlp, n)
    hand_matmul = 2 * n * 8 * 16 + 2 * n * 16 * 4  # 12800 + 6400
    hand = hand_matmul + n * 16 + n * 4 + 4 * n * 16 + 8 * n * 16  # biases, SiLU (4), LayerNorm (8)
    assert cost.matmul_flops == hand_matmul == 19200
    assert cost.flops == hand == 19200 + 800 + 200 + 3200 + 6400
    hand_bytes = 4 * ((n * 8 + n * 16 + 8 * 16 + 16) + 2 * n * 16 + (2 * n * 16 + 2 * 16)
                      + (n * 16 + n * 4 + 16 * 4 + 4))
    assert cost.bytes == hand_bytes
    mlp.eval()
    assert torch_flops(lambda: mlp(torch.randn(n, 8))) == cost.matmul_flops
    assert [p.name for p in cost.parts] == ["Linear(8->16)", "SiLU", "LayerNorm", "Linear(16->4)"]


def test_linear_without_bias_and_unknown_layers():
    assert count_linear(nn.Linear(3, 2, bias=False), 10).flops == 2 * 10 * 3 * 2
    with pytest.raises(ValueError, match="no FLOP rule for layer Conv1d"):
        count_mlp(nn.Sequential(nn.Linear(3, 3), nn.Conv1d(1, 1, 1)), 4)


def test_one_message_passing_step_hand_count():
    torch.manual_seed(0)
    n_nodes, n_edges, dim, hidden = 10, 30, 4, 8
    layer = InteractionLayer(dim, hidden).eval()
    x = torch.randn(n_nodes, dim)
    edge_index = torch.randint(0, n_nodes, (2, n_edges))
    cost = count_message_passing(n_nodes, n_edges, dim, edge_mlp=layer.edge_mlp, node_mlp=layer.node_mlp)

    edge_mlp = (2 * 30 * 8 * 8 + 30 * 8) + 30 * 8 + (2 * 30 * 8 * 8 + 30 * 8)  # 4080 + 240 + 4080
    scatter = 30 * 8  # one add per message element
    node_mlp = (2 * 10 * 12 * 8 + 10 * 8) + 10 * 8 + (2 * 10 * 8 * 4 + 10 * 4)  # 2000 + 80 + 680
    assert cost.flops == edge_mlp + scatter + node_mlp == 11400
    assert cost.matmul_flops == 3840 + 3840 + 1920 + 640
    gather_bytes = 30 * (8 + 2 * 4 * 4)  # index + row read + row written
    scatter_bytes = 30 * (8 + 8 * 4) + 10 * 8 * 4
    parts = {p.name: p for p in cost.parts}
    assert parts["gather x_i"].bytes == parts["gather x_j"].bytes == gather_bytes
    assert parts["scatter_add"].bytes == scatter_bytes
    # torch's counter, run on the real layer, sees exactly the matmul part and nothing of the scatter.
    assert torch_flops(lambda: layer(x, edge_index)) == cost.matmul_flops
    out = layer(x, edge_index)
    assert out.shape == (n_nodes, dim)


def test_knn_and_components_counts():
    cost = count_knn(n_queries=100, n_base=200, dim=8, k=5)
    assert cost.matmul_flops == 2 * 100 * 200 * 8
    assert cost.flops == 2 * 100 * 200 * 8 + 3 * 100 * 200 + 2 * 8 * 300
    assert cost.bytes == 4 * 8 * 300 + 100 * 5 * (4 + 8)
    cc = count_connected_components(n_nodes=1000, n_edges=3000)
    assert cc.flops == 0
    assert cc.bytes == 8 * (2 * 3000 + 2 * (1001 + 6000) + 1000)


def test_cost_sum_and_scaling():
    step = count_matmul(4, 4, 4) + count_matmul(2, 2, 2)
    assert step.flops == 128 + 16 and len(step.parts) == 2
    eight = step.scaled(8, "8 iterations")
    assert eight.flops == 8 * step.flops and eight.bytes == 8 * step.bytes
    assert eight.intensity == pytest.approx(step.intensity)


def test_project_networks_matmul_counts_match_torch():
    """The counts of trackgnn's own GNN and filter follow their forward passes exactly."""
    from trackgnn.filter import EdgeFilterNet, FilterModelConfig
    from trackgnn.models import InteractionGNN
    from trackgnn.profiling._model_counts import count_edge_filter, count_interaction_gnn

    torch.manual_seed(0)
    n_nodes, n_edges = 200, 800
    x, edges = torch.randn(n_nodes, 3), torch.randint(0, n_nodes, (2, n_edges))
    gnn = InteractionGNN(3, hidden_channels=16, num_iterations=3).eval()
    cost = count_interaction_gnn(gnn, n_nodes, n_edges)
    from trackgnn.models import fast_inference

    # the counts model the reference forward (the inference paths project per hit: fewer matmul flops)
    with torch.no_grad(), fast_inference(False):
        assert torch_flops(lambda: gnn(x, edges)) == cost.matmul_flops
    # beyond the matmuls: 3 steps x (2 scatters of E x 16 adds + 2 residual adds) + layer norms, SiLUs, sigmoid
    assert cost.flops - cost.matmul_flops > 3 * (2 * n_edges * 16 + n_edges * 16 + n_nodes * 16)
    assert len([p for p in cost.parts if p.name.startswith("interaction step")]) == 3
    filt = EdgeFilterNet(3, 2, FilterModelConfig(hidden_channels=32)).eval()
    fcost = count_edge_filter(filt, n_edges, 3)
    with torch.no_grad(), fast_inference(False):
        assert torch_flops(lambda: filt(x, edges, torch.rand(n_edges, 2))) == fcost.matmul_flops
    assert [p.name for p in fcost.parts][:3] == ["gather x_src", "gather x_dst", "concat"]
    assert fcost.parts[2].bytes == 2 * n_edges * (2 * 3 + 2) * 4
