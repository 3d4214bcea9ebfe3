"""A tiny embedding training run on low-pile-up simulated events really learns."""

from __future__ import annotations

import pytest
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


@pytest.mark.parametrize("sectors, epochs", [(1, 4), (4, 12)])
def test_training_improves_efficiency_at_fixed_radius(raw_events, tmp_path, sectors, epochs):
    path = write_config("tiny_embedding.yaml", tmp_path, input_dir=str(raw_events), train_sectors=sectors,
                        training={"max_epochs": epochs, "lr": 0.003})
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


def test_a_training_step_on_sectors_embeds_the_hits_of_one_phi_window(raw_events, tmp_path):
    path = write_config("tiny_embedding.yaml", tmp_path, input_dir=str(raw_events), train_sectors=4)
    stage, config = load_stage_config(path)
    event = stage.prepare_event(config, stage.data_module(config).events("train")[0])
    task = stage.build_task(config)
    seen = []
    task.model.register_forward_hook(lambda module, args, out: seen.append(args[0].shape[0]))
    loss = task.training_step(task.model, event, torch.Generator().manual_seed(0))
    assert torch.isfinite(loss) and loss > 0
    assert 0.15 * event.num_nodes < seen[0] < 0.35 * event.num_nodes


@pytest.mark.parametrize("value", [0, 65, 2.5])
def test_train_sectors_outside_1_to_64_is_refused_naming_the_key(raw_events, tmp_path, value):
    from trackgnn.errors import ConfigError

    path = write_config("tiny_embedding.yaml", tmp_path, input_dir=str(raw_events), train_sectors=value)
    with pytest.raises(ConfigError, match="train_sectors"):
        load_stage_config(path)
