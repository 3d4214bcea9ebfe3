"""Run a row-wise computation over contiguous row ranges on worker threads, one intra-op thread each.

Cache-sized chunks make many small ATen calls; each one with OpenMP's intra-op threads pays a
barrier, which costs milliseconds when another process shares the cores.  Splitting the rows
between threads that each run single-threaded ops scales the same on an idle machine and does
not wait on busy cores.  Worker threads inherit neither grad mode, inference mode nor autocast, so
:func:`run_row_ranges` re-enters them.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import torch

__all__ = ["chunked_rows", "run_row_ranges"]

_pools: dict[int, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def _pool(n_threads: int) -> ThreadPoolExecutor:
    """A pool of ``n_threads`` workers whose ATen ops run single-threaded (created once per size)."""
    with _lock:
        if n_threads not in _pools:
            main_threads = torch.get_num_threads()
            ready = threading.Barrier(n_threads + 1)

            def single_threaded() -> None:
                torch.set_num_threads(1)  # this thread's OpenMP setting; also torch's default for new threads
                ready.wait()

            pool = ThreadPoolExecutor(n_threads, thread_name_prefix="trackgnn-rows", initializer=single_threaded)
            for _ in range(n_threads):  # each submission starts a worker: none is idle before the barrier
                pool.submit(lambda: None)
            ready.wait()  # every worker has set itself to one thread
            torch.set_num_threads(main_threads)  # restore the default for threads created later
            _pools[n_threads] = pool
        return _pools[n_threads]


def run_row_ranges(work: Callable[[int, int], None], n_rows: int, min_rows: int = 65_536) -> None:
    """Call ``work(start, stop)`` on contiguous ranges covering ``range(n_rows)``.

    With ``torch.get_num_threads() > 1`` and at least ``min_rows`` rows per thread, the ranges run
    concurrently on that many worker threads (single-threaded ATen ops, the caller's grad mode,
    inference mode and CPU autocast); otherwise ``work(0, n_rows)`` runs here.  ``work`` must
    write disjoint outputs.
    """
    n_threads = min(torch.get_num_threads(), n_rows // max(1, min_rows))
    if n_threads <= 1:
        work(0, n_rows)
        return
    grad = torch.is_grad_enabled()
    inference = torch.is_inference_mode_enabled()
    autocast = torch.is_autocast_enabled("cpu")
    dtype = torch.get_autocast_dtype("cpu")

    def run(start: int, stop: int) -> None:
        with torch.inference_mode(inference), torch.set_grad_enabled(grad), \
                torch.autocast("cpu", dtype=dtype, enabled=autocast):
            work(start, stop)

    bounds = [n_rows * k // n_threads for k in range(n_threads + 1)]
    futures = [_pool(n_threads).submit(run, bounds[k], bounds[k + 1]) for k in range(n_threads)]
    for future in futures:
        future.result()


def chunked_rows(compute: Callable[[int, int], torch.Tensor], n_rows: int, chunk_rows: int,
                 out: torch.Tensor | None = None) -> torch.Tensor:
    """``torch.cat([compute(s, s + chunk_rows) for s in range(0, n_rows, chunk_rows)])`` without the cat.

    The first chunk runs here and fixes the output's dtype (autocast) and trailing shape; the
    remaining rows are split by :func:`run_row_ranges`, each range computed chunk by chunk into
    the output.  ``n_rows`` must be at least 1.  ``out``: written instead of a new tensor when its
    shape and dtype fit (a large new tensor costs its page faults: ~0.2 ms per MB); it may be an
    input of ``compute`` if each chunk reads only its own rows of it.
    """
    first = compute(0, min(chunk_rows, n_rows))
    shape = (n_rows, *first.shape[1:])
    if out is None or tuple(out.shape) != shape or out.dtype != first.dtype:
        out = first.new_empty(shape)
    out[:first.shape[0]] = first
    offset = first.shape[0]

    def work(start: int, stop: int) -> None:
        start, stop = start + offset, stop + offset
        for s in range(start, stop, chunk_rows):
            out[s:min(s + chunk_rows, stop)] = compute(s, min(s + chunk_rows, stop))

    run_row_ranges(work, n_rows - offset)
    return out
