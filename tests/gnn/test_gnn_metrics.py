"""The GNN's validation metrics use the one edge-efficiency definition; the conditional one is named so."""

from __future__ import annotations

import pytest
import torch

from tests.gnn.conftest import filter_like_event, gnn_config
from trackgnn.filter import select_edges
from trackgnn.graph import edge_counts, edge_summary, truth_edge_mask
from trackgnn.stages import load_stage_config


def test_efficiency_counts_every_truth_edge_of_the_event(tmp_path, filter_outputs):
    stage, config = load_stage_config(gnn_config(tmp_path, filter_outputs, score_cut=0.0))
    event = filter_like_event(1000, seed=5)
    _, is_truth = truth_edge_mask(event.edge_index, event.track_edges, int(event.num_nodes))
    drop = is_truth & (torch.arange(is_truth.numel()) % 2 == 0)  # the input graph misses half its truth edges
    event = stage.prepare_event(config, select_edges(event, ~drop))
    torch.manual_seed(0)
    task = stage.build_task(config)
    task.model.eval()
    with torch.no_grad():
        metrics = task.validate(task.model, [event])
    in_graph = int(is_truth.sum() - drop.sum())
    # score_cut 0 keeps every edge: all truth edges of the graph, a part of those of the event
    assert metrics["conditional_efficiency"] == 1.0
    assert metrics["efficiency"] == pytest.approx(in_graph / event.track_edges.shape[1])
    assert metrics["efficiency"] < 0.6
    expected = edge_summary(edge_counts(event.edge_index, event.track_edges, event.particle_id, event.pt))
    assert {k: metrics[k] for k in ("efficiency", "purity", "f1")} == {k: expected[k] for k in ("efficiency", "purity", "f1")}
