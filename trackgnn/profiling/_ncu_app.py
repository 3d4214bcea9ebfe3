"""Profile the pipeline under Nsight Compute: GEMM calibration, then one ncu run per stage.

The profiled process is ``python -m trackgnn.profiling._ncu_target`` which
runs either a GEMM of known size (to calibrate the tensor-metric -> FLOP
factor) or the pipeline's stages once each inside NVTX ranges.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Sequence

from trackgnn.profiling._ncu import (
    calibrate_tensor_factor,
    find_ncu,
    kernel_cost,
    metrics_for,
    ncu_command,
    run_ncu,
    stage_totals,
)

__all__ = ["profile_under_ncu", "GEMM_N"]

GEMM_N = 4096


def _available_metrics(ncu: str) -> str | None:
    import subprocess

    import torch

    major, minor = torch.cuda.get_device_capability(0)
    chip = {7: "gv100", 8: "ga100", 9: "gh100"}.get(major)
    if chip is None:
        return None
    proc = subprocess.run([ncu, "--query-metrics", "--chip", chip], capture_output=True, text=True, timeout=120)
    return proc.stdout if proc.returncode == 0 else None


def profile_under_ncu(config_path: str, event_index: int, stage_names: Sequence[str],
                      log: Callable[[str], None] = print, hard_cuts: bool = True) -> dict[str, dict[str, Any]]:
    """Per-stage ncu totals: time, FLOPs (by precision + calibrated tensor), bytes per level.

    ``hard_cuts`` selects the event's hits as :func:`~trackgnn.profiling.profile_chain` does."""
    import torch

    ncu = find_ncu()
    metrics = metrics_for(torch.cuda.get_device_capability(0)[0], _available_metrics(ncu))
    target = [sys.executable, "-m", "trackgnn.profiling._ncu_target"]
    log(f"ncu: calibrating the tensor-op factor on a {GEMM_N}^3 GEMM")
    gemm = run_ncu(ncu_command(ncu, metrics, [*target, "gemm", str(GEMM_N)], nvtx_range="gemm"))
    factor = calibrate_tensor_factor(gemm, 2.0 * GEMM_N**3)
    totals: dict[str, dict[str, Any]] = {}
    for name in stage_names:
        log(f"ncu: stage {name}")
        app = [*target, "app", config_path, str(event_index), "1" if hard_cuts else "0"]
        records = run_ncu(ncu_command(ncu, metrics, app, nvtx_range=name), empty_ok=True)  # pandas-only steps
        costs = [{**kernel_cost(r, factor), "stage": name} for r in records]
        totals.update(stage_totals(costs, [name]))
        totals.setdefault(name, {"time_s": 0.0, "flops": 0.0, "n_kernels": 0, "bytes_by_level": {}})
        totals[name]["kernels"] = sorted(costs, key=lambda c: -c["time_s"])[:10]
        totals[name]["tensor_factor"] = factor
    return totals
