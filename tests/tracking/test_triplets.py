"""Triplet construction, truth and geometry on hand-built graphs."""

from __future__ import annotations

import math

import pytest
import torch

from trackgnn.tracking import TRIPLET_FEATURES, build_triplets, triplet_features, triplet_hits, triplet_truth


def _pairs(triplets: torch.Tensor) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in triplets.t()}


def test_pairs_every_incoming_with_every_outgoing_edge():
    # hit 2 has two incoming (0->2, 1->2) and two outgoing (2->3, 2->4) edges; 3->5 continues
    edge_index = torch.tensor([[0, 1, 2, 2, 3], [2, 2, 3, 4, 5]])
    triplets = build_triplets(edge_index)
    assert _pairs(triplets) == {(0, 2), (0, 3), (1, 2), (1, 3), (2, 4)}
    assert triplet_hits(edge_index, triplets).t().tolist() == [[0, 2, 3], [0, 2, 4], [1, 2, 3], [1, 2, 4], [2, 3, 5]]


def test_cut_removes_edges_before_pairing():
    edge_index = torch.tensor([[0, 1, 2, 2, 3], [2, 2, 3, 4, 5]])
    scores = torch.tensor([0.9, 0.05, 0.8, 0.3, 0.7])
    assert _pairs(build_triplets(edge_index, scores, cut=0.5)) == {(0, 2), (2, 4)}
    assert _pairs(build_triplets(edge_index, scores, cut=0.85)) == set()


def test_back_and_forth_pairs_and_empty_graphs():
    edge_index = torch.tensor([[0, 1], [1, 0]])
    assert build_triplets(edge_index).shape == (2, 0)
    empty = build_triplets(torch.zeros((2, 0), dtype=torch.long), torch.zeros(0), num_nodes=4)
    assert empty.shape == (2, 0) and empty.dtype == torch.long
    with pytest.raises(ValueError, match=r"scores must have shape \(2,\)"):
        build_triplets(edge_index, torch.zeros(3))


def test_matches_brute_force_on_a_random_graph():
    gen = torch.Generator().manual_seed(0)
    edge_index = torch.randint(0, 30, (2, 200), generator=gen)
    scores = torch.rand(200, generator=gen)
    expected = {
        (i, j)
        for i in range(200) if scores[i] >= 0.3
        for j in range(200) if scores[j] >= 0.3
        and edge_index[1, i] == edge_index[0, j] and edge_index[0, i] != edge_index[1, j]
    }
    triplets = build_triplets(edge_index, scores, cut=0.3)
    assert triplets.shape[1] == len(expected)
    assert _pairs(triplets) == expected


def test_truth_needs_both_edges_to_be_truth_edges():
    # particle hits 0 -> 1 -> 2 -> 3 (truth edges 0, 1, 4); 4 -> 1 and 1 -> 5 are fakes; 0 -> 2 skips a hit
    edge_index = torch.tensor([[0, 1, 4, 1, 2, 0], [1, 2, 1, 5, 3, 2]])
    edge_truth = torch.tensor([True, True, False, False, True, False])
    triplets = build_triplets(edge_index)
    truth = triplet_truth(edge_truth, triplets)
    hits = triplet_hits(edge_index, triplets).t().tolist()
    assert {tuple(h) for h, t in zip(hits, truth.tolist()) if t} == {(0, 1, 2), (1, 2, 3)}
    assert {tuple(h) for h, t in zip(hits, truth.tolist()) if not t} == {(0, 1, 5), (4, 1, 2), (4, 1, 5), (0, 2, 3)}


def test_geometry_of_a_straight_and_a_bent_triplet():
    pos = torch.tensor([[100.0, 0, 10], [200.0, 0, 20], [300.0, 0, 30], [300.0, 10.0, 30]])
    edge_index = torch.tensor([[0, 1, 1], [1, 2, 3]])
    feats = triplet_features(pos, edge_index, torch.tensor([[0, 0], [1, 2]]), scores=torch.tensor([0.9, 0.8, 0.1]))
    assert feats.shape == (2, len(TRIPLET_FEATURES) + 2)
    straight, bent = feats
    assert straight[:4].abs().max() < 1e-6  # collinear, pointing to z0 = 0 both times
    # circle through (100,0), (200,0), (300,10): curvature 2 sin(angle)/chord
    angle = math.atan2(10, 100)
    chord = math.hypot(200, 10)
    assert bent[0].item() == pytest.approx(2 * math.sin(angle) / chord * 1000, rel=1e-4)
    assert bent[2].item() == pytest.approx(angle, rel=1e-5)
    assert bent[4:].tolist() == pytest.approx([0.9, 0.1])
