"""``trackgnn roofline machine``: characterise the current device, cache the result.

The result is a JSON-ready dict::

    {"schema": 1, "device": "cpu"|"cuda", "key": ..., "quick": bool,
     "system": {...}, "ceilings": {"compute", "gemm", "memory", "copy"},
     "sweeps": {...}, "roofs": {"compute": {name: GFLOP/s}, "memory": {level: GB/s}}}

``roofs`` is the flat view the application roofline draws.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

from trackgnn.errors import TrackGNNError
from trackgnn.profiling._cache import load_cached_machine, machine_key, save_cached_machine
from trackgnn.profiling._plan import make_plan
from trackgnn.profiling._sysinfo import cpu_info, gpu_info

__all__ = ["characterise_machine", "machine_roofs", "current_machine_key", "cached_or_measure"]

SCHEMA = 1


def _require_cuda() -> None:
    import torch

    if not torch.cuda.is_available():
        raise TrackGNNError(
            "--device cuda: no CUDA device is visible to PyTorch "
            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda}); use --device cpu"
        )


def current_machine_key(device: str) -> str:
    """Cache key of this machine for ``device`` ("cpu" or "cuda")."""
    info = cpu_info()
    name = "cpu"
    if device == "cuda":
        _require_cuda()
        import torch

        name = torch.cuda.get_device_name(0)
    return machine_key(info.model, info.cores, name)


def machine_roofs(result: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Flat ceilings of a characterisation: compute (vector FMA and GEMM) and memory levels.

    Each ceiling is the best seen with any thread count: an all-core run can
    only fall below a single-core one when other processes hold the cores
    (``other_processes_cpu_fraction`` in the result says how much).
    """
    ceilings = result["ceilings"]

    def best(modes: dict[str, Any], field: str) -> float:
        return max(m[field] for m in modes.values() if isinstance(m, dict) and field in m)

    compute = {f"{p} FMA": best(v, "gflops") for p, v in ceilings["compute"].items()}
    compute.update({f"{p} GEMM": v["gflops"] for p, v in ceilings["gemm"].items()})
    memory: dict[str, float] = {}
    for mode in ceilings["memory"].values():
        for name, level in mode["levels"].items():
            memory[name] = max(memory.get(name, 0.0), level["gbs"])
    return {"compute": compute, "memory": memory}


class _Contention:
    """CPU time other processes used while the block ran, as a fraction of all cores' wall time."""

    def __enter__(self) -> "_Contention":
        import psutil

        self._proc = psutil.Process()
        self._sys0, self._own0 = self._busy(), self._own()
        self._t0 = time.perf_counter()
        self.fraction = None
        return self

    def _busy(self) -> float:
        import psutil

        t = psutil.cpu_times()
        return t.user + t.system + getattr(t, "nice", 0.0) + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)

    def _own(self) -> float:
        t = self._proc.cpu_times()
        return t.user + t.system

    def __exit__(self, *exc) -> None:
        import psutil

        wall = (time.perf_counter() - self._t0) * (psutil.cpu_count() or 1)
        other = (self._busy() - self._sys0) - (self._own() - self._own0)
        self.fraction = max(0.0, other / wall) if wall > 0 else None


def characterise_machine(
    device: str = "cpu", quick: bool = False, precision: str = "fp32", progress: bool = True
) -> dict[str, Any]:
    """Measure the ceilings of ``device`` (see the module docstring for the layout)."""
    from tqdm import tqdm

    info = cpu_info()
    started = time.perf_counter()
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    bar = tqdm(desc=f"roofline machine ({device})", unit="step", disable=not progress, leave=False)

    def tick(label: str) -> None:
        bar.set_postfix_str(label, refresh=False)
        bar.update()

    contention = _Contention()
    try:
        contention.__enter__()
        if device == "cuda":
            _require_cuda()
            from trackgnn.profiling._machine_gpu import characterise_gpu

            gpu = gpu_info()
            plan = make_plan(quick, gpu["l2_bytes"] or 40 * 2**20, "cuda")
            measured = characterise_gpu(gpu, plan, precision, tick)
            system = {"cpu": info.to_dict(), "gpu": gpu}
            name = gpu["name"]
        elif device == "cpu":
            from trackgnn.profiling._machine_cpu import characterise_cpu

            llc = max((c.aggregate(info.cores) for c in info.caches), default=32 * 2**20)
            plan = make_plan(quick, llc, "cpu")
            measured = characterise_cpu(info, plan, precision, tick)
            system = {"cpu": info.to_dict()}
            name = "cpu"
        else:
            raise TrackGNNError(f"--device: could not resolve {device!r} among ['cpu', 'cuda']")
    finally:
        contention.__exit__()
        bar.close()
    result = {
        "schema": SCHEMA,
        "device": device,
        "key": machine_key(info.model, info.cores, name),
        "quick": quick,
        "precision": precision,
        "created_unix": time.time(),
        "elapsed_s": time.perf_counter() - started,
        "load_average_before": load_before,
        "other_processes_cpu_fraction": contention.fraction,
        "system": system,
        "plan": plan.__dict__,
        **measured,
    }
    result["roofs"] = machine_roofs(result)
    return result


def cached_or_measure(
    device: str, quick: bool, precision: str, progress: bool, refresh: bool = False,
    log: Callable[[str], None] = lambda _msg: None, accept_quick: bool | None = None,
) -> dict[str, Any]:
    """The cached characterisation of this machine, measuring (and caching) it when absent.

    A full characterisation is always reused; a quick one only when ``quick``
    (or ``accept_quick``, which ``roofline app`` sets) allows it.
    """
    key = current_machine_key(device)
    any_kind = quick if accept_quick is None else accept_quick
    cached = None if refresh else load_cached_machine(key, None if any_kind else False)
    if cached is not None and cached.get("schema") == SCHEMA:
        log(f"machine ceilings: reusing the cached characterisation ({key})")
        return cached
    result = characterise_machine(device, quick, precision, progress)
    path = save_cached_machine(result["key"], quick, result)
    log(f"machine ceilings cached in {path}")
    return result
