"""The InteractionGNN edge classifier, the triplet classifier and the MLP block."""

from __future__ import annotations

import pytest
import torch

from trackgnn.models import MLP, InteractionGNN, TripletClassifier


def _chains(n_chains: int = 6, length: int = 5, seed: int = 0):
    """Hits on straight radial lines; true edges join neighbours of one line, fakes jump lines."""
    gen = torch.Generator().manual_seed(seed)
    phi = torch.rand(n_chains, generator=gen) * 6.28
    r = torch.arange(1, length + 1, dtype=torch.float32)
    x = torch.stack([
        (r[None] / length).expand(n_chains, -1).reshape(-1),
        phi[:, None].expand(-1, length).reshape(-1) / 3.14,
    ], dim=1)
    node = torch.arange(n_chains * length).view(n_chains, length)
    true_edges = torch.stack([node[:, :-1].reshape(-1), node[:, 1:].reshape(-1)])
    fake_edges = torch.stack([node[:, :-1].reshape(-1), node.roll(1, 0)[:, 1:].reshape(-1)])
    edge_index = torch.cat([true_edges, fake_edges], dim=1)
    y = torch.cat([torch.ones(true_edges.shape[1]), torch.zeros(fake_edges.shape[1])])
    return x, edge_index, y


def test_forward_shapes_weight_sharing_and_empty_graphs():
    x, edge_index, _ = _chains()
    model = InteractionGNN(2, hidden_channels=16, num_iterations=3, aggr=["sum", "max"])
    assert model(x, edge_index).shape == (edge_index.shape[1],)
    shared = InteractionGNN(2, hidden_channels=16, num_iterations=3, share_weights=True)
    assert len(shared.convs) == 1
    assert sum(p.numel() for p in shared.parameters()) < sum(p.numel() for p in model.parameters())
    assert model(x, torch.zeros((2, 0), dtype=torch.long)).shape == (0,)
    h, e = model.embed(x, edge_index)
    assert h.shape == (x.shape[0], 16) and e.shape == (edge_index.shape[1], 16)


def test_edge_features_are_checked():
    x, edge_index, _ = _chains()
    model = InteractionGNN(2, edge_features=3, hidden_channels=8, num_iterations=1)
    assert model(x, edge_index, torch.randn(edge_index.shape[1], 3)).shape == (edge_index.shape[1],)
    with pytest.raises(ValueError, match="expected edge_attr of width 3, got None"):
        model(x, edge_index)


def test_learns_to_separate_true_from_fake_edges():
    torch.manual_seed(0)
    x, edge_index, y = _chains()
    model = InteractionGNN(2, hidden_channels=16, num_iterations=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(150):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x, edge_index), y)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = ((model(x, edge_index) > 0).float() == y).float().mean()
    assert accuracy > 0.95


def test_checkpointing_gives_the_same_gradients():
    torch.manual_seed(0)
    x, edge_index, y = _chains()
    plain = InteractionGNN(2, hidden_channels=8, num_iterations=2)
    ckpt = InteractionGNN(2, hidden_channels=8, num_iterations=2, checkpointing=True)
    ckpt.load_state_dict(plain.state_dict())
    grads = []
    for model in (plain, ckpt):
        model.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(model(x, edge_index), y).backward()
        grads.append(model.node_encoder[0].weight.grad.clone())
    torch.testing.assert_close(grads[0], grads[1])


def test_triplet_classifier_gathers_the_right_rows():
    torch.manual_seed(0)
    edge_index = torch.tensor([[0, 1, 1], [1, 2, 3]])
    triplets = torch.tensor([[0, 0], [1, 2]])
    edge_latent, node_latent, geometry = torch.randn(3, 4), torch.randn(4, 5), torch.randn(2, 6)
    model = TripletClassifier(4, node_channels=5, geometric_features=6, hidden_channels=8, norm=None)
    logits = model(edge_index, triplets, edge_latent=edge_latent, node_latent=node_latent, geometry=geometry)
    by_hand = model.mlp(torch.cat([edge_latent[[0, 0]], edge_latent[[1, 2]], node_latent[[1, 1]], geometry], 1))
    torch.testing.assert_close(logits, by_hand.squeeze(-1))
    with pytest.raises(ValueError, match="node_latent is required"):
        model(edge_index, triplets, edge_latent=edge_latent, geometry=geometry)
    geometry_only = TripletClassifier(0, geometric_features=6)
    assert geometry_only(edge_index, triplets, geometry=geometry).shape == (2,)


def test_mlp_block():
    mlp = MLP([3, 8, 8, 2], activation="relu", norm="batch", dropout=0.1)
    assert mlp(torch.randn(5, 3)).shape == (5, 2)
    assert mlp(torch.randn(0, 3)).shape == (0, 2)
    assert repr(mlp) == "MLP([3, 8, 8, 2], activation='relu', norm='batch', dropout=0.1)"
    with pytest.raises(ValueError, match=r"activation: could not resolve 'swish' among \["):
        MLP([3, 2], activation="swish")
    with pytest.raises(ValueError, match="could not resolve 'group'"):
        MLP([3, 2], norm="group")
