"""Application characterisation: time, FLOPs, bytes and intensity per pipeline stage.

:func:`profile_stage` runs one named :class:`Stage` once to warm up,
``repeats`` timed times inside an NVTX range named after the stage (so ``ncu
--nvtx`` can attribute kernels to stages), and once more under
``torch.profiler`` (operator times; kernel times on CUDA) and
``FlopCounterMode``; it pairs the timing with the stage's analytic
:class:`~trackgnn.profiling.Cost`.  :func:`profile_stages` chains stages (each
takes the previous one's output); the trained pipeline is profiled step by step
through its own hook instead (:func:`trackgnn.profiling.profile_chain`).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from trackgnn.profiling._counters import Cost

__all__ = ["Stage", "StageProfile", "profile_stage", "profile_stages", "launch_overhead", "nvtx_range"]


@dataclass
class Stage:
    """One named step of the pipeline.

    ``run(previous_output) -> output``; ``cost(input, output) -> Cost`` gives the
    exact analytic count from the real modules and tensor shapes.
    """

    name: str
    run: Callable[[Any], Any]
    cost: Callable[[Any, Any], Cost]


@dataclass
class StageProfile:
    name: str
    time_s: float
    times_s: list[float]
    cost: Cost
    n_ops: int
    torch_flop_counter_flops: float
    ops: list[dict[str, Any]] = field(default_factory=list)

    @property
    def gflops(self) -> float:
        return self.cost.flops / self.time_s / 1e9

    @property
    def gbs(self) -> float:
        return self.cost.bytes / self.time_s / 1e9

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "time_s": self.time_s, "times_s": self.times_s,
                "flops": self.cost.flops, "bytes": self.cost.bytes,
                "matmul_flops": self.cost.matmul_flops, "intensity": self.cost.intensity,
                "gflops": self.gflops, "gbs": self.gbs, "n_ops": self.n_ops,
                "torch_flop_counter_flops": self.torch_flop_counter_flops,
                "flops_lower_bound": self.cost.lower_bound or None,
                "cost": self.cost.to_dict(), "ops": self.ops}


@contextlib.contextmanager
def nvtx_range(name: str, enabled: bool):
    """An NVTX push/pop range on CUDA (``ncu --nvtx-include name/``), a no-op elsewhere."""
    if not enabled:
        yield
        return
    import torch

    torch.cuda.nvtx.range_push(name)
    try:
        yield
    finally:
        torch.cuda.nvtx.range_pop()


#: Line prefixes of Kineto's informational stderr messages (one pair per profiler start/stop).
_KINETO_CHATTER = ("USDT:", "STAGE:")


@contextlib.contextmanager
def quiet_kineto():
    """Drop Kineto's ``USDT:``/``STAGE:`` lines from file descriptor 2; pass every other line on.

    Kineto (torch's profiler back end) writes them from C++ straight to fd 2.  Its
    ``KINETO_LOG_LEVEL`` can hide them only together with its error messages, so the
    fd is captured instead and the remaining lines (warnings, errors) are re-written.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [line for line in capture.read().decode(errors="replace").splitlines(keepends=True)
                    if not line.startswith(_KINETO_CHATTER)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def _sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def launch_overhead(device: str, n: int = 2000) -> float:
    """Seconds per trivial operator launch, measured (CPU: eager dispatch; CUDA: kernel launch)."""
    import torch

    x = torch.zeros(1, device=device)
    for _ in range(50):
        x.add_(1.0)
    _sync(device)
    start = time.perf_counter()
    for _ in range(n):
        x.add_(1.0)
    _sync(device)
    return (time.perf_counter() - start) / n


def _top_ops(prof, device: str, top: int) -> tuple[list[dict[str, Any]], int]:
    """Operators by self time, and the number of launches: CUDA kernels on a GPU, aten calls on a CPU."""
    from torch.autograd import DeviceType

    rows = []
    n_ops = 0
    for evt in prof.key_averages():
        self_dev = getattr(evt, "self_device_time_total", getattr(evt, "self_cuda_time_total", 0.0)) / 1e6
        is_kernel = getattr(evt, "device_type", None) == DeviceType.CUDA
        if (device == "cuda" and is_kernel) or (device != "cuda" and evt.key.startswith("aten::")):
            n_ops += evt.count
        rows.append({"name": evt.key, "count": evt.count, "self_cpu_s": evt.self_cpu_time_total / 1e6,
                     "self_device_s": self_dev, "flops": float(getattr(evt, "flops", 0) or 0)})
    key = "self_device_s" if device == "cuda" else "self_cpu_s"
    rows.sort(key=lambda r: r[key], reverse=True)
    return rows[:top], n_ops


#: What the stage times of a profile measure for the networks (said on every roofline report).
REFERENCE_FORWARD = ("networks timed on their reference forward, the computation the cost model counts; "
                     "`trackgnn reconstruct` runs chunked inference paths that are faster "
                     "(python bench/reconstruct.py --compare inference)")


def profile_stage(stage: Stage, data: Any, device: str = "cpu", repeats: int = 3, top_ops: int = 8,
                  warmup: bool = True, single_run: bool = False) -> tuple[StageProfile, Any]:
    """Profile one stage on ``data``; return its profile and its output.

    Time is the median of ``repeats`` timed runs (after one warm-up run unless ``warmup``
    is False), each inside an NVTX range named after the stage with a device
    synchronisation; operator tables come from one more run under ``torch.profiler``,
    during which ``FlopCounterMode`` records ``torch_flop_counter_flops`` (what torch's own
    counter sees: matmuls only).  ``single_run`` (``--quick``) runs the stage once, cold,
    and times that profiled run (the profiler adds microseconds per operator).

    The networks run their training-time forward (``fast_inference(False)``): the analytic costs
    count that computation, and ``FlopCounterMode`` does not see the worker threads of the
    inference paths.
    """
    import torch
    from torch.profiler import ProfilerActivity, profile
    from torch.utils.flop_counter import FlopCounterMode

    from trackgnn.models import fast_inference

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    with torch.inference_mode(), fast_inference(False):
        if warmup:
            stage.run(data)
            _sync(device)
        times = []
        for _ in range(0 if single_run else repeats):
            start = time.perf_counter()
            with nvtx_range(stage.name, device == "cuda"):
                output = stage.run(data)
                _sync(device)
            times.append(time.perf_counter() - start)
        counter = FlopCounterMode(display=False)
        start = time.perf_counter()
        with quiet_kineto(), profile(activities=activities, with_flops=True) as prof, counter:
            profiled = stage.run(data)
            _sync(device)
        if single_run:
            times, output = [time.perf_counter() - start], profiled
    ops, n_ops = _top_ops(prof, device, top_ops)
    profile_ = StageProfile(stage.name, statistics.median(times), times, stage.cost(data, output),
                            n_ops, float(counter.get_total_flops()), ops)
    return profile_, output


def profile_stages(stages: Sequence[Stage], first_input: Any, device: str = "cpu", repeats: int = 3,
                   top_ops: int = 8, progress: Callable[[str], None] = lambda _s: None,
                   warmup: bool = True, single_run: bool = False) -> list[StageProfile]:
    """:func:`profile_stage` on each of ``stages`` in order; each stage's input is the previous
    stage's output."""
    results = []
    data = first_input
    for stage in stages:
        progress(stage.name)
        result, data = profile_stage(stage, data, device, repeats, top_ops, warmup, single_run)
        results.append(result)
    return results
