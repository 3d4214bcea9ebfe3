"""Two processes (gloo) train the GNN with its triplet head through DDP: replicas stay identical."""

from __future__ import annotations

import os

import torch
import torch.multiprocessing as mp

from tests.gnn.conftest import gnn_config
from tests.training.test_distributed import _free_port


def _worker(rank: int, world: int, port: int, config_path: str, results) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world),
                      RANK=str(rank), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    from trackgnn.stages import load_stage_config

    stage, config = load_stage_config(config_path)
    captured = {}
    build = stage.build_task

    def build_task(cfg):
        captured["task"] = build(cfg)
        return captured["task"]

    stage.build_task = build_task
    result = stage.train(config, log=lambda line: None)
    weights = [p.detach().clone() for p in captured["task"].model.parameters()]
    results[rank] = (weights, result["history"][-1]["loss"])


def test_two_ranks_end_with_identical_gnn_weights(filter_outputs, tmp_path):
    path = gnn_config(tmp_path, filter_outputs, data_split=[2, 1, 0], training={"max_epochs": 2})
    manager = mp.Manager()
    results = manager.dict()
    mp.spawn(_worker, args=(2, _free_port(), str(path), results), nprocs=2, join=True)
    (w0, loss0), (w1, loss1) = results[0], results[1]
    assert len(w0) == len(w1) > 10
    for a, b in zip(w0, w1):
        assert torch.equal(a, b)
    assert loss0 == loss1
    assert (tmp_path / "gnn" / "checkpoints" / "best.pt").is_file()
