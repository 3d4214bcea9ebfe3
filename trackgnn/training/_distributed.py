"""Data parallelism with ``torch.distributed`` (gloo on CPU, nccl on CUDA), one code path.

Launched as ``torchrun --nproc-per-node 2 -m trackgnn train CONFIG``; a plain
``trackgnn train`` is the single-process case (rank 0 of 1).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Iterator, Sequence, TypeVar

__all__ = ["DistContext", "distributed", "resolve_device", "shard"]

T = TypeVar("T")


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in a (possibly single-process) data-parallel run."""

    rank: int = 0
    world_size: int = 1
    device: str = "cpu"

    @property
    def is_main(self) -> bool:
        """True on the process that writes checkpoints and outputs."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()

    def mean(self, value: float) -> float:
        """Average of ``value`` over ranks."""
        if not self.enabled:
            return float(value)
        import torch
        import torch.distributed as dist

        t = torch.tensor([float(value)], dtype=torch.float64,
                         device=self.device if self.device.startswith("cuda") else "cpu")
        dist.all_reduce(t)
        return float(t.item()) / self.world_size


def resolve_device(requested: str) -> str:
    """``cpu``, ``cuda`` or ``auto`` → a torch device string for this process."""
    import torch

    from trackgnn.errors import ConfigError

    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("training.device: 'cuda' requested but torch sees no CUDA device")
        return f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    return "cpu"


@contextlib.contextmanager
def distributed(requested_device: str = "cpu") -> Iterator[DistContext]:
    """Join the process group when launched by torchrun (``WORLD_SIZE`` > 1), else run alone."""
    import torch

    device = resolve_device(requested_device)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        yield DistContext(0, 1, device)
        return
    import torch.distributed as dist

    created = not dist.is_initialized()
    if created:
        backend = "nccl" if device.startswith("cuda") else "gloo"
        dist.init_process_group(backend=backend)
    if device.startswith("cuda"):
        torch.cuda.set_device(torch.device(device))
    try:
        yield DistContext(dist.get_rank(), dist.get_world_size(), device)
    finally:
        if created:
            dist.destroy_process_group()


def shard(items: Sequence[T], context: DistContext, order: Sequence[int]) -> list[T]:
    """This rank's share of ``items`` taken in ``order``; every rank gets the same count.

    The list is padded by wrapping around so all ranks run the same number of
    steps (a requirement of DDP's gradient all-reduce).
    """
    order = list(order)
    per_rank = -(-len(order) // context.world_size)
    padded = (order * (1 + context.world_size))[: per_rank * context.world_size] if order else []
    return [items[i] for i in padded[context.rank::context.world_size]]
