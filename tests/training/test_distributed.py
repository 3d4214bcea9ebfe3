"""DDP on CPU (gloo): two processes through the same Trainer code path."""

from __future__ import annotations

import os
import socket

import torch
import torch.multiprocessing as mp

from tests.training.test_trainer import TRAIN, VAL, LinearTask
from trackgnn.training import Trainer, TrainingConfig, distributed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, out_dir: str, results) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world),
                      RANK=str(rank), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    with distributed("cpu") as ctx:
        torch.manual_seed(0)
        task = LinearTask()
        seen = []
        step = task.training_step
        task.training_step = lambda model, event, gen: (seen.append(id(event)), step(model, event, gen))[1]
        trainer = Trainer(TrainingConfig(max_epochs=2, lr=0.01), out_dir, seed=0, context=ctx,
                          log=lambda line: None)
        result = trainer.fit(task, TRAIN, VAL)
        results[rank] = ([p.detach().clone() for p in task.model.parameters()], len(seen),
                         result["history"][-1]["loss"], ctx.world_size)


def test_two_process_ddp_keeps_replicas_identical(tmp_path):
    manager = mp.Manager()
    results = manager.dict()
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path), results), nprocs=2, join=True)
    (w0, n0, loss0, world), (w1, n1, loss1, _) = results[0], results[1]
    assert world == 2
    assert n0 == n1 == 2 * len(TRAIN) // 2  # events sharded: each rank sees half per epoch
    for a, b in zip(w0, w1):
        assert torch.equal(a, b)
    assert loss0 == loss1  # the logged loss is averaged over ranks
    assert (tmp_path / "last.pt").is_file()
