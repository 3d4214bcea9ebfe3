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


def _ert_rate(n: int, dtype, k: int, max_programs: int, plan: SweepPlan) -> tuple[int, float, float]:
    """(bytes, GB/s, GFLOP/s) of the K-FMA kernel over about ``n`` elements.

    Up to ``max_programs`` programs, each owning at least one ``BLOCK``; ``n`` is
    rounded down to a multiple of ``programs x BLOCK``.
    """
    import torch

    programs = max(1, min(max_programs, n // BLOCK))
    n = max(1, n // (programs * BLOCK)) * programs * BLOCK
    a = torch.full((n,), 0.5, dtype=dtype, device="cuda")
    run = make_gpu_ert(a, k, programs)
    once = _time_cuda(lambda: run(1), 1)
    ntrials = max(1, int(plan.target_s / max(once, 1e-6)))
    seconds = _time_cuda(lambda: run(ntrials), plan.repeats) / ntrials
    nbytes = a.numel() * a.element_size()
    return nbytes, 2 * nbytes / seconds / 1e9, 2 * k * n / seconds / 1e9


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
    programs = 4 * info["sms"]
    dtype = getattr(torch, DTYPES[precision] if precision in ("fp32", "fp64", "fp16") else "float32")
    itemsize = torch.tensor([], dtype=dtype).element_size()
    sizes, gbs = [], []
    for size in plan.sizes(BLOCK * itemsize):
        nbytes, bw, _ = _ert_rate(size // itemsize, dtype, 1, programs, plan)
        if sizes and nbytes == sizes[-1]:
            continue
        sizes.append(nbytes)
        gbs.append(bw)
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
        rates = []
        for k in plan.ks:
            rates.append(_ert_rate(n_flops, dt, k, programs, plan)[2])
            tick(f"flops {short} K={k}")
        best = int(np.argmax(rates))
        ref = theory.get(short)
        compute[short] = {"gflops": rates[best], "best_k": plan.ks[best],
                          "theoretical_gflops": ref * 1e3 if ref else None,
                          "ratio": rates[best] / (ref * 1e3) if ref else None}
        sweeps_flops[short] = {"all_core": {"k": list(plan.ks), "gflops": rates}}

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
        "sweeps": {"bandwidth": {"all_core": {"bytes": sizes, "gbs": gbs}}, "flops": sweeps_flops},
        "backend": gpu_backend(),
    }
