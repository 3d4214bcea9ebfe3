"""A tiny embedding training run on low-pile-up simulated events really learns."""

from __future__ import annotations

import torch

from tests.embedding.conftest import write_config
from trackgnn.graph import edge_counts, summarize_edge_counts
from trackgnn.stages import load_stage_config


def _efficiency(stage, config, task, events) -> dict:
    total = None
    task.model.eval()
    with torch.no_grad():
        for event in events:
            _, edges = task.build_graph(event)
            counts = edge_counts(edges, event.track_edges, event.particle_id, event.pt)
            total = counts if total is None else total + counts
    return summarize_edge_counts(total)["overall"]


def test_training_improves_efficiency_at_fixed_radius(raw_events, tmp_path):
    path = write_config("tiny_embedding.yaml", tmp_path, input_dir=str(raw_events))
    stage, config = load_stage_config(path)
    data = stage.data_module(config)
    events = [stage.prepare_event(config, e) for e in data.events("val") + data.events("test")]
    torch.manual_seed(config.seed)
    before = _efficiency(stage, config, stage.build_task(config), events)
    result = stage.train(config, log=lambda line: None)
    assert result["epochs"] == config.training.max_epochs
    task = stage.build_task(config)
    state = stage.best_checkpoint(config)
    task.model.load_state_dict(state["model"])
    after = _efficiency(stage, config, task, events)
    assert after["truth_edges"] > 300  # enough truth edges for the numbers to mean something
    print(f"efficiency before {before['efficiency']:.3f} after {after['efficiency']:.3f}")
    assert after["efficiency"] > before["efficiency"] + 0.1, (before, after)
    assert after["efficiency"] > 0.90, after
    assert after["mean_degree"] <= 2 * config.graph.k
