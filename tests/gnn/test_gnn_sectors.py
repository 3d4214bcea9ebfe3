"""GNN training on azimuthal sectors of complete events (``train_sectors``)."""

from __future__ import annotations

import math

import torch

from tests.gnn.conftest import filter_like_event, gnn_config
from trackgnn.processing import random_sector
from trackgnn.stages import load_stage_config


def _stage(tmp_path, sectors: int):
    return load_stage_config(gnn_config(tmp_path, tmp_path, train_sectors=sectors))


def test_a_sector_holds_the_hits_of_one_phi_window_and_only_their_edges(tmp_path):
    stage, config = _stage(tmp_path, 4)
    event = stage.prepare_event(config, filter_like_event(1000, seed=5))
    generator = torch.Generator().manual_seed(0)
    sector = random_sector(event, config.train_sectors, generator)
    assert 0.15 * event.num_nodes < sector.num_nodes < 0.35 * event.num_nodes
    phi = sector.phi.double()
    spread = torch.remainder(phi - phi[0] + math.pi, 2 * math.pi) - math.pi
    assert float(spread.max() - spread.min()) < 2 * math.pi / 4 + 1e-6
    for edges in (sector.edge_index, sector.track_edges):
        assert edges.numel() and int(edges.max()) < sector.num_nodes
    assert sector.y.shape == (sector.edge_index.shape[1],) and sector.x.shape[0] == sector.num_nodes
    # every edge of the sector is an edge of the event between the same hits
    ids = sector.hit_id
    full = set(zip(event.hit_id[event.edge_index[0]].tolist(), event.hit_id[event.edge_index[1]].tolist()))
    assert set(zip(ids[sector.edge_index[0]].tolist(), ids[sector.edge_index[1]].tolist())) <= full
    # another draw, another sector; one sector is the whole event
    assert not torch.equal(random_sector(event, 4, generator).hit_id, sector.hit_id)
    assert random_sector(event, 1, generator) is event


def test_training_on_sectors_still_learns(filter_outputs, tmp_path):
    stage, config = load_stage_config(gnn_config(tmp_path, filter_outputs, train_sectors=2,
                                                 training={"max_epochs": 16, "lr": 0.01}))
    result = stage.train(config, log=lambda line: None)
    best = next(h for h in result["history"] if h["epoch"] == result["best_epoch"])
    assert best["efficiency"] > 0.85 and best["purity"] > 0.85


def test_a_sector_of_the_training_view_holds_what_the_event_s_sector_would_give(tmp_path):
    stage, config = _stage(tmp_path, 4)
    event = stage.prepare_event(config, filter_like_event(1000, seed=5))
    task = stage.build_task(config)
    view = task.training_view(event)
    assert task.training_view(event) is view  # computed once per event
    assert view.edge_attr.shape == (event.edge_index.shape[1], len(config.model.edge_features))
    for seed in range(3):
        expected = task.training_view(random_sector(event, 4, torch.Generator().manual_seed(seed)), keep=False)
        sector = random_sector(view, 4, torch.Generator().manual_seed(seed))
        assert sector.num_nodes == expected.num_nodes and sector.edge_true.any()
        for key in ("x", "edge_index", "edge_true", "edge_same", "edge_pt"):
            assert torch.equal(sector[key], expected[key]), key
        for key in ("edge_attr", "pos"):  # the same float values, whatever SIMD lane computed them
            torch.testing.assert_close(sector[key], expected[key], rtol=1e-6, atol=1e-6)
    assert len(task._views) == 1
