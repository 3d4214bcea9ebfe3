"""Edge efficiency / purity / degree per pT bin on a hand-built graph."""

from __future__ import annotations

import math

import pytest
import torch

from trackgnn.graph import edge_counts, edge_labels, summarize_edge_counts, truth_edge_mask


def _event():
    # particle 1 (pT 1.5): hits 0-1-2; particle 2 (pT 3): hits 3-4; hit 5 noise
    pid = torch.tensor([1, 1, 1, 2, 2, 0])
    pt = torch.tensor([1.5, 1.5, 1.5, 3.0, 3.0, 0.0])
    track_edges = torch.tensor([[0, 1, 3], [1, 2, 4]])
    # graph: 1->0 (truth, reversed), 0->2 (same particle, not a truth edge), 2->3 (fake), 3->5 (fake)
    edge_index = torch.tensor([[1, 0, 2, 3], [0, 2, 3, 5]])
    return edge_index, track_edges, pid, pt


def test_labels_and_truth_mask():
    edge_index, track_edges, pid, _ = _event()
    assert edge_labels(edge_index, pid).tolist() == [True, True, False, False]
    found, is_truth = truth_edge_mask(edge_index, track_edges, 6)
    assert found.tolist() == [True, False, False] and is_truth.tolist() == [True, False, False, False]



@pytest.mark.parametrize("seed", [0, 1])
def test_truth_edge_mask_matches_set_membership_on_random_graphs(seed):
    # many truth partners per hit, both orientations, a truth edge listed twice, edge-less graphs
    g = torch.Generator().manual_seed(seed)
    n = 40
    graph = torch.randint(0, n, (2, 300), generator=g)
    truth = torch.cat([graph[:, :50].flip(0), torch.randint(0, n, (2, 60), generator=g)], dim=1)
    truth = torch.cat([truth, truth[:, :4]], dim=1)

    def codes(edges):
        return {(min(a, b), max(a, b)) for a, b in edges.t().tolist()}

    in_graph, in_truth = codes(graph), codes(truth)
    found, is_truth = truth_edge_mask(graph, truth, n)
    assert found.tolist() == [(min(a, b), max(a, b)) in in_graph for a, b in truth.t().tolist()]
    assert is_truth.tolist() == [(min(a, b), max(a, b)) in in_truth for a, b in graph.t().tolist()]
    found, is_truth = truth_edge_mask(graph[:, :0], truth, n)
    assert not found.any() and is_truth.numel() == 0

def test_metrics_overall_and_per_bin():
    m = summarize_edge_counts(edge_counts(*_event()))
    overall = m["overall"]
    assert overall["efficiency"] == pytest.approx(1 / 3)
    assert overall["purity"] == pytest.approx(2 / 4)
    assert overall["mean_degree"] == pytest.approx(8 / 6)
    assert overall["edges_per_event"] == 4
    bins = {(b["pt_min"], b["pt_max"]): b for b in m["pt_bins"]}
    assert bins[(1.0, 2.0)]["efficiency"] == pytest.approx(1 / 2)
    assert bins[(2.0, math.inf)]["efficiency"] == 0.0
    assert bins[(1.0, 2.0)]["purity"] == pytest.approx(2 / 3)  # edges from particle-1 hits
    assert bins[(2.0, math.inf)]["purity"] == 0.0
    assert math.isnan(bins[(0.5, 1.0)]["efficiency"])


def test_edge_mask_and_event_sum():
    edge_index, track_edges, pid, pt = _event()
    keep = torch.tensor([True, False, False, False])
    one = edge_counts(edge_index, track_edges, pid, pt, edge_mask=keep)
    m = summarize_edge_counts(one + one)
    assert m["n_events"] == 2 and m["overall"]["purity"] == 1.0
    assert m["overall"]["edges_per_event"] == 1.0 and m["overall"]["truth_edges"] == 6
