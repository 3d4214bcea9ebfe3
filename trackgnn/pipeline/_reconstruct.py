"""Hits in, tracks out, for many events: in this process or sharded over worker processes."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pandas as pd

__all__ = ["reconstruct_events"]

_WORKER: dict = {}


def _init_worker(config_path: str, checkpoint_dir: str | None, device: str, precision: str, threads: int,
                 stages: dict[str, str] | None = None) -> None:
    import torch

    from trackgnn.pipeline._chain import InferenceChain
    from trackgnn.stages import STAGES

    STAGES.update(stages or {})  # stages registered at run time in the parent process
    torch.set_num_threads(threads)
    _WORKER["chain"] = InferenceChain(config_path, checkpoint_dir=checkpoint_dir, device=device, precision=precision)


def _reconstruct_one(raw_dir: str, event_id: int) -> tuple[pd.DataFrame, dict[str, float]]:
    from trackgnn.pipeline._events import iter_raw_events
    from trackgnn.tracking import to_submission

    (event_id, hits, cells, _, _), = iter_raw_events(raw_dir, [event_id])
    result = _WORKER["chain"].run(event_id, hits, cells)
    return to_submission(event_id, hits["hit_id"].to_numpy(), result.labels), result.seconds


def reconstruct_events(config_path: str | Path, raw_dir: str | Path, event_ids: list[int], *,
                       checkpoint_dir: str | Path | None = None, device: str = "cpu",
                       precision: str = "fp32", workers: int = 1) -> Iterator[tuple[int, pd.DataFrame, dict[str, float]]]:
    """Yield ``(event_id, submission, seconds)`` in event order, running the chain on all hits.

    With ``workers > 1`` the events are sharded over that many processes (each loads the
    models once and uses ``cpu_count // workers`` threads); results still come in order.
    Only hits (and cells when present) are read: no truth is needed.  ``precision``: see
    :class:`~trackgnn.pipeline.InferenceChain`.
    """
    import os

    import torch

    torch_threads = torch.get_num_threads
    args = (str(config_path), None if checkpoint_dir is None else str(checkpoint_dir), device, precision)
    if workers <= 1:
        _init_worker(*args, threads=torch_threads())
        try:
            for event_id in event_ids:
                submission, seconds = _reconstruct_one(str(raw_dir), event_id)
                yield event_id, submission, seconds
        finally:
            _WORKER.clear()
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from trackgnn.stages import STAGES

    threads = max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(*args, threads, dict(STAGES))) as pool:
        futures = [pool.submit(_reconstruct_one, str(raw_dir), event_id) for event_id in event_ids]
        for event_id, future in zip(event_ids, futures):
            submission, seconds = future.result()
            yield event_id, submission, seconds
