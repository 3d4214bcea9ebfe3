"""The inference paths (chunked MLPs, grouped aggregation) equal the training-time forward."""

from __future__ import annotations

import pytest
import torch

from trackgnn.embedding import EmbeddingModelConfig, EmbeddingNet
from trackgnn.filter import EdgeFilterNet, FilterModelConfig
from trackgnn.models import GatheredInput, InteractionGNN, MLP, TripletClassifier, fast_inference, gathered_mlp
from trackgnn.models._segment_aggregate import Adjacency


def _graph(n_nodes: int, n_edges: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    # nodes from n_nodes // 2 on are isolated
    return torch.randint(0, max(1, n_nodes // 2), (2, n_edges), generator=generator)


def _both(fn):
    """``fn()`` with and without the inference paths, in eval mode without gradient."""
    with torch.no_grad():
        fast = fn()
        with fast_inference(False):
            reference = fn()
    return fast, reference


@pytest.mark.parametrize("n_edges", [0, 1, 50, 3000])
@pytest.mark.parametrize("chunk_rows", [1, 7, 4096])
def test_gathered_mlp_equals_the_mlp_of_the_concatenation(n_edges, chunk_rows):
    torch.manual_seed(0)
    mlp = MLP([2 * 5 + 3, 16, 16, 2]).eval()
    x, attr = torch.randn(20, 5), torch.randn(n_edges, 3)
    edges = _graph(20, n_edges, 1)
    residual = torch.randn(n_edges, 2)
    with torch.no_grad():
        out = gathered_mlp(mlp, [GatheredInput(x, edges[0]), GatheredInput(x, edges[1]), GatheredInput(attr)],
                           n_edges, residual=residual, chunk_rows=chunk_rows)
        reference = residual + mlp(torch.cat([x[edges[0]], x[edges[1]], attr], dim=1))
    assert out.shape == (n_edges, 2)
    torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("chunk_rows", [7, 4096])
def test_gathered_mlp_updates_in_place(chunk_rows, monkeypatch):
    """``out`` = its own residual and ungathered input: each chunk reads its rows before writing
    them, on worker threads too (row ranges forced for small inputs)."""
    import trackgnn.models._row_threads as module

    original = module.run_row_ranges
    monkeypatch.setattr(module, "run_row_ranges", lambda work, n, min_rows=0: original(work, n, 1))
    torch.manual_seed(1)
    mlp = MLP([2 * 4 + 4, 16, 4]).eval()
    x, edges = torch.randn(30, 4), _graph(30, 3000, 2)
    state = torch.randn(3000, 4)
    with torch.no_grad():
        reference = state + mlp(torch.cat([x[edges[0]], x[edges[1]], state], dim=1))
        out = gathered_mlp(mlp, [GatheredInput(x, edges[0]), GatheredInput(x, edges[1]), GatheredInput(state)],
                           3000, residual=state, chunk_rows=chunk_rows, out=state)
    assert out.data_ptr() == state.data_ptr()
    torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)


def test_gathered_mlp_splits_rows_between_threads(monkeypatch):
    import trackgnn.models._row_threads as module

    calls = []
    original = module.run_row_ranges
    monkeypatch.setattr(module, "run_row_ranges", lambda work, n, min_rows=0: calls.append(n) or original(work, n, 1))
    mlp = MLP([4, 8, 1]).eval()
    x = torch.randn(5000, 4)
    with torch.no_grad():
        out = gathered_mlp(mlp, [GatheredInput(x)], 5000, chunk_rows=64)
        torch.testing.assert_close(out, mlp(x), atol=1e-5, rtol=1e-5)
    assert calls


def _pyg_aggregation(aggr, values: torch.Tensor, edges: torch.Tensor, n_nodes: int) -> torch.Tensor:
    """PyG's aggregations ``aggr`` of each hit's incoming, then outgoing edges (the reference)."""
    from torch_geometric.nn.aggr import MultiAggregation
    from torch_geometric.nn.resolver import aggregation_resolver

    module = aggregation_resolver(aggr) if isinstance(aggr, str) else MultiAggregation(aggr)
    return torch.cat([module(values, edges[1], dim_size=n_nodes), module(values, edges[0], dim_size=n_nodes)], dim=1)


@pytest.mark.parametrize("aggr", [["sum", "max"], ["mean", "min"], "max"])
@pytest.mark.parametrize("n_edges", [0, 1, 200])
def test_adjacency_aggregates_like_pyg(aggr, n_edges):
    names = [aggr] if isinstance(aggr, str) else aggr
    edges = _graph(30, n_edges, 2)
    values = torch.randn(n_edges, 4) - 3.0  # negative: an empty hit must get 0, not the max of nothing
    out = Adjacency(edges, 30).aggregate(values, names, both=True)
    torch.testing.assert_close(out, _pyg_aggregation(aggr, values, edges, 30), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("n_edges", [0, 1, 400])
@pytest.mark.parametrize("direction", ["both", "in"])
def test_interaction_gnn_inference_equals_forward(n_edges, direction):
    torch.manual_seed(0)
    gnn = InteractionGNN(3, edge_features=2, hidden_channels=8, num_iterations=2, aggr=["sum", "max"],
                         direction=direction).eval()
    x, attr, edges = torch.randn(40, 3), torch.randn(n_edges, 2), _graph(40, n_edges, 3)
    (h, e), (h_ref, e_ref) = _both(lambda: gnn.embed(x, edges, attr))
    torch.testing.assert_close(h, h_ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(e, e_ref, atol=1e-5, rtol=1e-5)
    fast, reference = _both(lambda: gnn(x, edges, attr))
    assert fast.shape == (n_edges,)
    torch.testing.assert_close(fast, reference, atol=1e-5, rtol=1e-5)


def test_interaction_gnn_keeps_the_pyg_path_for_other_aggregations():
    gnn = InteractionGNN(3, hidden_channels=8, num_iterations=1, aggr="std").eval()
    x, edges = torch.randn(10, 3), _graph(10, 20, 4)
    fast, reference = _both(lambda: gnn(x, edges))
    torch.testing.assert_close(fast, reference)


@pytest.mark.parametrize("n_edges", [0, 300])
def test_filter_inference_equals_forward(n_edges):
    torch.manual_seed(0)
    net = EdgeFilterNet(4, 3, FilterModelConfig(hidden_channels=16, num_layers=3)).eval()
    x, attr, edges = torch.randn(50, 4), torch.randn(n_edges, 3), _graph(50, n_edges, 5)
    fast, reference = _both(lambda: net(x, edges, attr))
    torch.testing.assert_close(fast, reference, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("n_hits", [0, 1, 5000])
@pytest.mark.parametrize("normalize", [False, True])
def test_embedding_inference_equals_forward(n_hits, normalize):
    torch.manual_seed(0)
    net = EmbeddingNet(5, EmbeddingModelConfig(hidden_channels=256, num_layers=2, out_dim=4,
                                               normalize=normalize)).eval()
    x = torch.randn(n_hits, 5)
    fast, reference = _both(lambda: net(x))
    assert fast.shape == (n_hits, 4)
    torch.testing.assert_close(fast, reference, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("n_triplets", [0, 500])
def test_triplet_head_inference_equals_forward(n_triplets):
    torch.manual_seed(0)
    head = TripletClassifier(8, node_channels=8, geometric_features=3, hidden_channels=16).eval()
    edges = _graph(30, 100, 6)
    triplets = torch.randint(0, 100, (2, n_triplets))
    latents = dict(edge_latent=torch.randn(100, 8), node_latent=torch.randn(30, 8),
                   geometry=torch.randn(n_triplets, 3))
    fast, reference = _both(lambda: head(edges, triplets, **latents))
    torch.testing.assert_close(fast, reference, atol=1e-5, rtol=1e-5)


def test_only_cpu_modules_in_eval_mode_without_gradient_take_the_inference_paths():
    from trackgnn.models import fast_inference, inference_ready

    cpu = MLP([4, 8, 1]).eval()
    with torch.device("meta"):
        elsewhere = MLP([4, 8, 1]).eval()  # stands for a GPU: the paths use NumPy views and CPU threads
    with torch.no_grad():
        assert inference_ready(cpu)
        assert not inference_ready(elsewhere)
        with fast_inference(False):
            assert not inference_ready(cpu)
    assert not inference_ready(cpu)  # gradients recorded
    assert not inference_ready(cpu.train())


def test_training_mode_takes_the_reference_path_with_gradients():
    gnn = InteractionGNN(3, hidden_channels=8, num_iterations=1, aggr=["sum", "max"])
    x, edges = torch.randn(10, 3), _graph(10, 30, 7)
    gnn(x, edges).sum().backward()
    assert all(p.grad is not None for p in gnn.parameters())


def test_worker_threads_run_under_the_callers_inference_mode(monkeypatch):
    import trackgnn.models._row_threads as module

    original = module.run_row_ranges
    monkeypatch.setattr(module, "run_row_ranges", lambda work, n, min_rows=0: original(work, n, 1))
    mlp = MLP([4, 8, 1]).eval()
    x = torch.randn(3000, 4)
    with torch.inference_mode():
        out = gathered_mlp(mlp, [GatheredInput(x)], 3000, chunk_rows=64)
        torch.testing.assert_close(out, mlp(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("aggr", [["sum", "max"], ["mean", "min"], "max"])
@pytest.mark.parametrize("n_edges", [0, 1, 200])
def test_adjacency_gradient_equals_pyg(aggr, n_edges):
    """Training through the kernels: same aggregates and same gradient as PyG's scatter aggregations."""
    names = [aggr] if isinstance(aggr, str) else aggr
    edges = _graph(30, n_edges, 6)
    values = torch.randn(n_edges, 4, generator=torch.Generator().manual_seed(7))
    weights = torch.randn(30, 2 * len(names) * 4, generator=torch.Generator().manual_seed(8))
    fast_values, reference_values = values.clone().requires_grad_(), values.clone().requires_grad_()
    out = Adjacency(edges, 30).aggregate(fast_values, names, both=True)
    reference = _pyg_aggregation(aggr, reference_values, edges, 30)
    torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)
    (out * weights).sum().backward()
    (reference * weights).sum().backward()
    torch.testing.assert_close(fast_values.grad, reference_values.grad, atol=1e-5, rtol=1e-5)


def test_adjacency_refuses_an_output_buffer_with_gradient():
    values = torch.randn(5, 2, requires_grad=True)
    with pytest.raises(ValueError, match="out= is for inference"):
        Adjacency(_graph(6, 5, 9), 6).aggregate(values, ["sum"], both=False, out=torch.empty(6, 2))


@pytest.mark.parametrize("direction", ["both", "in"])
def test_interaction_gnn_training_gradients_equal_pyg(direction, monkeypatch):
    """A training step through the aggregation kernels gives PyG's loss and parameter gradients."""
    calls = []
    original = Adjacency.aggregate
    monkeypatch.setattr(Adjacency, "aggregate", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    torch.manual_seed(0)
    gnn = InteractionGNN(3, edge_features=2, hidden_channels=8, num_iterations=2, aggr=["sum", "max"],
                         direction=direction).train()
    x, attr, edges = torch.randn(40, 3), torch.randn(300, 2), _graph(40, 300, 10)

    def gradients():
        gnn.zero_grad()
        loss = gnn(x, edges, attr).square().mean()
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in gnn.parameters()]

    loss, grads = gradients()
    assert len(calls) == 2  # one per iteration: the kernels ran
    with fast_inference(False):
        loss_ref, grads_ref = gradients()
    assert len(calls) == 2  # the reference ran PyG's aggregations
    torch.testing.assert_close(loss, loss_ref, atol=1e-6, rtol=1e-5)
    for grad, grad_ref in zip(grads, grads_ref):
        torch.testing.assert_close(grad, grad_ref, atol=1e-5, rtol=1e-4)


def test_adjacency_gradient_keeps_the_dtype_of_the_values():
    values = torch.randn(40, 3, dtype=torch.float64, requires_grad=True)
    out = Adjacency(_graph(20, 40, 11), 20).aggregate(values, ["sum", "max"], both=True)
    out.sum().backward()
    assert out.dtype == values.grad.dtype == torch.float64
