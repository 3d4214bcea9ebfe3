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


def test_a_halo_keeps_the_sectors_neighbours_and_the_loss_counts_only_the_sectors_edges(tmp_path):
    stage, config = _stage(tmp_path, 4)
    event = stage.prepare_event(config, filter_like_event(1000, seed=5))
    bare = random_sector(event, 4, torch.Generator().manual_seed(3))
    haloed = random_sector(event, 4, torch.Generator().manual_seed(3), halo_hops=1)
    core = haloed.sector_core
    assert torch.equal(haloed.hit_id[core], bare.hit_id)  # the same sector, in the same order
    assert haloed.num_nodes > bare.num_nodes
    # the halo is exactly the hits one edge away from the sector
    in_sector = set(bare.hit_id.tolist())
    source, target = (event.hit_id[i].tolist() for i in event.edge_index)
    neighbours = {b for a, b in zip(source, target) if a in in_sector} | {a for a, b in zip(source, target)
                                                                        if b in in_sector}
    assert set(haloed.hit_id.tolist()) == in_sector | neighbours
    # a second hop reaches further
    assert random_sector(event, 4, torch.Generator().manual_seed(3), halo_hops=2).num_nodes > haloed.num_nodes

    # the loss: edges with no hit in the sector weigh nothing, so changing their logits changes nothing
    from trackgnn.gnn._network import EdgeTripletOutput
    from trackgnn.gnn._task import GNNTask

    task = GNNTask(stage.build_model(config), config)
    edge_index = haloed.edge_index
    outside = ~(core[edge_index[0]] | core[edge_index[1]])
    assert outside.any() and (~outside).any()
    empty = torch.zeros(2, 0, dtype=torch.long)
    logits = torch.randn(edge_index.shape[1], generator=torch.Generator().manual_seed(1))
    flipped = torch.where(outside, -5 * logits, logits)
    loss = task.losses(EdgeTripletOutput(logits, empty, torch.zeros(0)), haloed)[0]
    assert torch.allclose(loss, task.losses(EdgeTripletOutput(flipped, empty, torch.zeros(0)), haloed)[0])
    inside = torch.where(~outside, -5 * logits, logits)
    assert not torch.allclose(loss, task.losses(EdgeTripletOutput(inside, empty, torch.zeros(0)), haloed)[0])


def test_a_halo_must_be_a_small_whole_number_of_hops(tmp_path):
    import pytest

    from trackgnn.errors import ConfigError

    with pytest.raises((ValueError, ConfigError), match="train_sector_halo"):
        load_stage_config(gnn_config(tmp_path, tmp_path, train_sectors=4, train_sector_halo=-1))
