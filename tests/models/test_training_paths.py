"""The CPU training paths (first layers split by block, gathers whose backward is the segment-sum
kernel) give the reference forward's values and gradients."""

from __future__ import annotations

import pytest
import torch

import trackgnn.models._segment_aggregate as segment
from trackgnn.filter import EdgeFilterNet, FilterModelConfig
from trackgnn.models import GatheredInput, MLP, TripletClassifier, fast_inference, gathered_forward
from trackgnn.models._segment_aggregate import Adjacency, gather_rows


def _index(n_rows: int, n: int, seed: int) -> torch.Tensor:
    # rows from n_rows // 2 on are never gathered: their gradient must be 0
    return torch.randint(0, max(1, n_rows // 2), (n,), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("n", [0, 1, 500])
@pytest.mark.parametrize("grouped", [False, True])
def test_gather_rows_gradient_equals_index_select(n, grouped):
    table = torch.randn(40, 6, generator=torch.Generator().manual_seed(1))
    index = _index(40, n, 2)
    grouping = Adjacency(torch.stack([index, index]), 40).incoming if grouped else None
    weights = torch.randn(n, 6, generator=torch.Generator().manual_seed(3))
    fast_table, reference_table = table.clone().requires_grad_(), table.clone().requires_grad_()
    out = gather_rows(fast_table, index, grouping)
    reference = reference_table.index_select(0, index)
    assert torch.equal(out, reference)
    (out * weights).sum().backward()
    (reference * weights).sum().backward()
    torch.testing.assert_close(fast_table.grad, reference_table.grad, atol=1e-5, rtol=1e-5)
    assert not fast_table.grad[20:].any()


def test_gather_rows_keeps_the_dtype_and_needs_no_gradient():
    table = torch.randn(10, 3, dtype=torch.float64, requires_grad=True)
    out = gather_rows(table, _index(10, 30, 4))
    out.sum().backward()
    assert out.dtype == table.grad.dtype == torch.float64
    with torch.no_grad():
        assert not gather_rows(table, _index(10, 30, 4)).requires_grad


def _gradients(module: torch.nn.Module, forward) -> tuple[torch.Tensor, list[torch.Tensor]]:
    module.zero_grad()
    loss = forward().square().mean()
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in module.parameters()]


def _assert_same_training(module: torch.nn.Module, forward, monkeypatch, min_gathers: int) -> None:
    """Loss and gradients of ``forward`` equal the reference path's, and the kernel gathers ran."""
    calls = []
    original = segment.gather_rows
    monkeypatch.setattr(segment, "gather_rows", lambda *a, **k: calls.append(1) or original(*a, **k))
    loss, grads = _gradients(module, forward)
    assert len(calls) >= min_gathers
    with fast_inference(False):
        loss_ref, grads_ref = _gradients(module, forward)
    assert len(calls) >= min_gathers  # the reference gathered by indexing
    torch.testing.assert_close(loss, loss_ref, atol=1e-6, rtol=1e-5)
    for grad, grad_ref in zip(grads, grads_ref):
        torch.testing.assert_close(grad, grad_ref, atol=1e-5, rtol=1e-4)


def test_triplet_head_training_gradients_equal_the_reference(monkeypatch):
    """More triplets than edges: the edge latents are projected, then gathered (grouped in the backward)."""
    torch.manual_seed(0)
    head = TripletClassifier(8, node_channels=8, geometric_features=3, hidden_channels=16).train()
    edges = torch.randint(0, 30, (2, 100), generator=torch.Generator().manual_seed(5))
    triplets = torch.randint(0, 100, (2, 700), generator=torch.Generator().manual_seed(6))
    latents = dict(edge_latent=torch.randn(100, 8), node_latent=torch.randn(30, 8), geometry=torch.randn(700, 3))
    _assert_same_training(head, lambda: head(edges, triplets, **latents), monkeypatch, min_gathers=3)


def test_filter_training_gradients_equal_the_reference(monkeypatch):
    """Fewer edges than hits (a training batch): the hits are gathered, then projected."""
    torch.manual_seed(0)
    net = EdgeFilterNet(5, 4, FilterModelConfig(hidden_channels=16, num_layers=2)).train()
    x, attr = torch.randn(300, 5), torch.randn(120, 4)
    edges = torch.randint(0, 300, (2, 120), generator=torch.Generator().manual_seed(7))
    _assert_same_training(net, lambda: net(x, edges, attr), monkeypatch, min_gathers=2)


def test_split_first_layer_gradient_reaches_a_gathered_table():
    """The gradient flows into a gathered table that requires it (a GNN's latent hits)."""
    mlp = MLP([4 + 4 + 2, 8, 1]).train()
    h = torch.randn(20, 4)
    edges = torch.randint(0, 20, (2, 60), generator=torch.Generator().manual_seed(8))
    attr = torch.randn(60, 2)
    adjacency = Adjacency(edges, 20)
    grads = []
    for enabled in (True, False):
        table = h.clone().requires_grad_()
        inputs = [GatheredInput(table, edges[0], adjacency.outgoing), GatheredInput(table, edges[1], adjacency.incoming),
                  GatheredInput(attr)]
        with fast_inference(enabled):
            gathered_forward(mlp, mlp, inputs, 60).sum().backward()
        grads.append(table.grad)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-5, rtol=1e-5)
