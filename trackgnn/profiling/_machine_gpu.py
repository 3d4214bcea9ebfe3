"""Machine characterisation of an NVIDIA GPU: ERT sweeps, cuBLAS GEMM ceilings, copy.

Timing uses CUDA events around launches; the best of ``repeats`` runs is kept.
GPU L1 is not visible to ERT (its kernel is served from L2, as the NERSC work
notes); the L1 ceiling is the theoretical one (SMs x 128 B/clk x boost clock).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from trackgnn.profiling._gpu_kernels import BLOCK, gpu_backend, make_gpu_ert
from trackgnn.profiling._plan import DTYPES, SweepPlan
from trackgnn.profiling._plateau import detect_plateaus, level_bandwidths, name_levels

__all__ = ["characterise_gpu"]

Tick = Callable[[str], None]


def _time_cuda(fn: Callable[[], None], repeats: int) -> float:
    import torch

    fn()
    torch.cuda.synchronize()
    best = np.inf
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        best = min(best, start.elapsed_time(end) / 1e3)
    return best


Launch = tuple[int, int]  # (programs, warps per program)


def launch_grid(sms: int) -> list[Launch]:
    """The launch shapes ERT tries: 4, 8 or 16 programs per SM, of 4 or 8 warps.  One shape
    cannot serve both ends: streaming from HBM wants many bytes in flight per SM, and long
    dependent FMA chains want enough warps to hide their latency."""
    return [(per_sm * sms, warps) for per_sm in (4, 8, 16) for warps in (4, 8)]


def _ert_rate(n: int, dtype, k: int, launches: list[Launch], plan: SweepPlan) -> tuple[int, float, float, Launch]:
    """(bytes, GB/s, GFLOP/s, launch) of the K-FMA kernel over about ``n`` elements, the
    fastest of ``launches``.

    Each program owns at least one ``BLOCK``; ``n`` is rounded down to a multiple of
    ``programs x BLOCK`` of the largest grid, so every launch sweeps the same elements.
    """
    import torch

    most = max(1, min(max(p for p, _ in launches), n // BLOCK))
    n = max(1, n // (most * BLOCK)) * most * BLOCK
    a = torch.full((n,), 0.5, dtype=dtype, device="cuda")
    best_seconds, best_launch = np.inf, launches[0]
    for programs, warps in dict.fromkeys((min(p, most), w) for p, w in launches):
        if n % (programs * BLOCK):
            continue
        run = make_gpu_ert(a, k, programs, warps)
        once = _time_cuda(lambda: run(1), 1)
        ntrials = max(1, int(plan.target_s / max(once, 1e-6)))
        seconds = _time_cuda(lambda: run(ntrials), plan.repeats) / ntrials
        if seconds < best_seconds:
            best_seconds, best_launch = seconds, (programs, warps)
    nbytes = a.numel() * a.element_size()
    return nbytes, 2 * nbytes / best_seconds / 1e9, 2 * k * n / best_seconds / 1e9, best_launch


def _gemm(n: int, short: str, repeats: int) -> float:
    import torch

    dtype = {"fp64": torch.float64, "fp32": torch.float32, "tf32": torch.float32,
             "bf16": torch.bfloat16, "fp16": torch.float16}[short]
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = short == "tf32"
    try:
        gen = torch.Generator(device="cuda").manual_seed(0)
        a = torch.rand(n, n, device="cuda", generator=gen).to(dtype)
        b = torch.rand(n, n, device="cuda", generator=gen).to(dtype)
        seconds = _time_cuda(lambda: torch.matmul(a, b), repeats)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous
    return 2 * n**3 / seconds / 1e9


def characterise_gpu(info: dict[str, Any], plan: SweepPlan, precision: str, tick: Tick) -> dict[str, Any]:
    """Run every GPU measurement of ``plan``; return the ``ceilings`` and ``sweeps`` sections."""
    import torch

    theory = info["theoretical"]
    launches = launch_grid(info["sms"])
    programs = 4 * info["sms"]
    dtype = getattr(torch, DTYPES[precision] if precision in ("fp32", "fp64", "fp16") else "float32")
    itemsize = torch.tensor([], dtype=dtype).element_size()
    sizes, gbs, shapes = [], [], []
    for size in plan.sizes(BLOCK * itemsize):
        nbytes, bw, _, launch = _ert_rate(size // itemsize, dtype, 1, launches, plan)
        if sizes and nbytes == sizes[-1]:
            continue
        sizes.append(nbytes)
        gbs.append(bw)
        shapes.append(list(launch))
        tick(f"bandwidth {nbytes / 2**20:.2f} MiB")
    # Stores write through L1, so ERT's read-modify-write is served from L2 at best.
    capacities = [("L2", info["l2_bytes"] or 40 * 2**20)]
    plateaus = detect_plateaus(sizes, gbs, min_points=plan.min_points, tol=0.08)
    named = name_levels(plateaus, capacities, "HBM")
    levels = {}
    for name, level in level_bandwidths(sizes, gbs, capacities, "HBM").items():
        ref = theory.get("hbm_gbs") if name == "HBM" else theory.get("l1_gbs") if name == "L1" else None
        levels[name] = {
            "gbs": level["value"], "max_gbs": level["max_value"], "n_points": level["n_points"],
            "from_bytes": level["from_bytes"], "to_bytes": level["to_bytes"],
            "capacity_bytes": dict(capacities).get(name),
            "plateau": named[name].to_dict() if name in named else None,
            "theoretical_gbs": ref, "ratio": level["value"] / ref if ref else None,
        }
    if "l1_gbs" in theory:  # ERT cannot isolate GPU L1: the theoretical figure stands in
        levels = {"L1": {"gbs": theory["l1_gbs"], "theoretical_gbs": theory["l1_gbs"], "ratio": 1.0,
                         "note": "theoretical (SMs x 128 B/clk x boost clock); not measurable by ERT"},
                  **levels}

    compute, sweeps_flops = {}, {}
    n_flops = programs * BLOCK * 8  # a few MiB: L2-resident
    for short in ("fp64", "fp32", "fp16"):
        dt = getattr(torch, DTYPES[short])
        rates, rate_shapes = [], []
        for k in plan.ks:
            _, _, rate, launch = _ert_rate(n_flops, dt, k, launches, plan)
            rates.append(rate)
            rate_shapes.append(list(launch))
            tick(f"flops {short} K={k}")
        best = int(np.argmax(rates))
        ref = theory.get(short)
        compute[short] = {"gflops": rates[best], "best_k": plan.ks[best], "launch": rate_shapes[best],
                          "theoretical_gflops": ref * 1e3 if ref else None,
                          "ratio": rates[best] / (ref * 1e3) if ref else None}
        sweeps_flops[short] = {"all_core": {"k": list(plan.ks), "gflops": rates, "launch": rate_shapes}}

    gemm = {}
    for short in ("fp64", "fp32", "tf32", "bf16", "fp16"):
        gflops = _gemm(plan.gemm_n, short, plan.repeats)
        ref = theory.get(f"tensor_{short}") or (theory.get(short) if short in ("fp32", "fp64") else None)
        gemm[short] = {"gflops": gflops, "n": plan.gemm_n, "how": "torch.matmul (cuBLAS)",
                       "theoretical_gflops": ref * 1e3 if ref else None,
                       "ratio": gflops / (ref * 1e3) if ref else None}
        tick(f"gemm {short}")

    n = max(plan.max_bytes // 8, 1 << 26)
    src = torch.full((n,), 0.5, device="cuda")
    dst = torch.empty_like(src)
    copy_gbs = 2 * src.nbytes / _time_cuda(lambda: dst.copy_(src), plan.repeats) / 1e9
    inplace_gbs = 2 * src.nbytes / _time_cuda(lambda: src.mul_(1.0), plan.repeats) / 1e9
    hbm = levels.get("HBM", {}).get("gbs")
    copy = {"all_core": {"copy_gbs": copy_gbs, "inplace_gbs": inplace_gbs, "array_bytes": src.nbytes,
                         "how": "torch: a.mul_(1) in place / dst.copy_(src)", "dram_plateau_gbs": hbm,
                         "dram_over_inplace": hbm / inplace_gbs if hbm else None,
                         "dram_over_copy": hbm / copy_gbs if hbm else None}}
    return {
        "ceilings": {"compute": {k: {"all_core": v} for k, v in compute.items()}, "gemm": gemm,
                     "memory": {"all_core": {"levels": levels, "plateaus": [p.to_dict() for p in plateaus]}},
                     "copy": copy},
        "sweeps": {"bandwidth": {"all_core": {"bytes": sizes, "gbs": gbs, "launch": shapes}}, "flops": sweeps_flops,
                   "launch_shapes": {"tried": [list(x) for x in launches],
                                     "meaning": "[programs, warps per program]; each point keeps the fastest"}},
        "backend": gpu_backend(),
    }
