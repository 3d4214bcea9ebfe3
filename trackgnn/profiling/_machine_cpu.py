"""Machine characterisation of the CPU: ERT sweeps, GEMM ceilings, large copy.

Ceilings are reported for one core (one thread) and all usable cores (one
thread per core), each beside its theoretical value and the ratio.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from trackgnn.profiling._cpu_kernels import aligned_full, fma_vector_width, time_ert
from trackgnn.profiling._plan import DTYPES, SweepPlan
from trackgnn.profiling._plateau import detect_plateaus, level_bandwidths, name_levels
from trackgnn.profiling._sysinfo import CpuInfo, cpu_theoretical_gflops

__all__ = ["bandwidth_sweep", "flops_sweep", "intensity_sweep", "cpu_gemm", "cpu_copy", "characterise_cpu"]

Tick = Callable[[str], None]


def _best_over_passes(items: list, measure: Callable, passes: int, tick: Tick, label: Callable) -> dict:
    """Per item, the best (smallest) value of ``measure(item, state)`` over ``passes`` shuffled passes.

    Visiting the items in a new seeded random order each pass spreads a burst
    of interference from other processes over many items instead of wiping
    out one contiguous stretch of the curve.  ``state[item]`` carries the
    calibrated trial count from pass to pass.
    """
    rng = np.random.default_rng(0)
    best: dict = {}
    state: dict = {}
    for _ in range(passes):
        for index in rng.permutation(len(items)):
            item = items[index]
            value, state[item] = measure(item, state.get(item))
            best[item] = min(best.get(item, np.inf), value)
            tick(label(item))
    return best


def bandwidth_sweep(plan: SweepPlan, threads: int, dtype: str, tick: Tick) -> dict[str, list[float]]:
    """GB/s of the K=1 kernel (read + write per element) across working-set sizes."""
    itemsize = np.dtype(dtype).itemsize
    lengths = sorted({max(16, size // (itemsize * threads)) // 16 * 16 for size in plan.sizes(64 * threads)})

    def measure(n: int, ntrials: int | None) -> tuple[float, int]:
        a = aligned_full(threads, n, 0.5, dtype)
        return time_ert(a, 1, plan.target_s, 1, threads, ntrials, plan.calibrate_cap)

    best = _best_over_passes(lengths, measure, plan.repeats, tick, lambda n: f"bandwidth {threads}T")
    nbytes = [threads * n * itemsize for n in lengths]
    return {"bytes": nbytes, "gbs": [2 * b / best[n] / 1e9 for b, n in zip(nbytes, lengths)]}


def flops_sweep(plan: SweepPlan, threads: int, dtype: str, tick: Tick) -> dict[str, list[float]]:
    """GFLOP/s against FMAs per element, on an L1-resident working set (8 KiB per thread)."""
    a = aligned_full(threads, 8192 // np.dtype(dtype).itemsize, 0.5, dtype)

    def measure(k: int, ntrials: int | None) -> tuple[float, int]:
        return time_ert(a, k, plan.target_s, 1, threads, ntrials, plan.calibrate_cap)

    best = _best_over_passes(list(plan.ks), measure, plan.repeats, tick, lambda k: f"flops {dtype} {threads}T")
    return {"k": list(plan.ks), "gflops": [2 * k * a.size / best[k] / 1e9 for k in plan.ks]}


def intensity_sweep(plan: SweepPlan, nbytes: int, dtype: str, tick: Tick) -> dict[str, Any]:
    """GFLOP/s of the K-FMA kernel against arithmetic intensity on a DRAM-sized working set, one core.

    Intensity is ``2 K / (2 x itemsize)`` FLOP/byte (K FMAs per element read and written):
    the points trace the measured roofline of one core from the DRAM slope to the FMA peak.
    """
    itemsize = np.dtype(dtype).itemsize
    a = aligned_full(1, nbytes // itemsize, 0.5, dtype)

    def measure(k: int, ntrials: int | None) -> tuple[float, int]:
        return time_ert(a, k, plan.target_s, 1, 1, ntrials, plan.calibrate_cap)

    best = _best_over_passes(list(plan.ks), measure, plan.repeats, tick, lambda k: f"intensity K={k}")
    return {"bytes": a.nbytes, "dtype": dtype, "k": list(plan.ks),
            "intensity": [k / itemsize for k in plan.ks],
            "gflops": [2 * k * a.size / best[k] / 1e9 for k in plan.ks]}


def cpu_gemm(n: int, dtype: str, threads: int, repeats: int) -> float:
    """Best GFLOP/s of an ``n x n x n`` ``torch.matmul`` (2 n^3 FLOPs) on ``threads`` threads."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        gen = torch.Generator().manual_seed(0)
        a = torch.rand(n, n, generator=gen).to(getattr(torch, dtype))
        b = torch.rand(n, n, generator=gen).to(getattr(torch, dtype))
        torch.matmul(a, b)
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            torch.matmul(a, b)
            best = min(best, time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    return 2 * n**3 / best / 1e9


def cpu_copy(nbytes: int, threads: int, repeats: int) -> dict[str, float]:
    """Best GB/s of two large-array copies with ``torch`` on ``threads`` threads.

    ``inplace``: ``a.mul_(1)``, each element read and written back, the same
    DRAM traffic as the ERT kernel (the like-for-like baseline).  ``copy``:
    ``dst.copy_(src)`` (STREAM copy); bytes counted as read + written, but the
    hardware also reads ``dst`` (write-allocate), so it reports less.
    """
    import torch

    n = nbytes // 4
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        src = torch.full((n,), 0.5)
        dst = torch.zeros(n)
        ops = {"inplace": lambda: src.mul_(1.0), "copy": lambda: dst.copy_(src)}
        out = {}
        for name, op in ops.items():
            best = np.inf
            for _ in range(repeats + 1):
                start = time.perf_counter()
                op()
                best = min(best, time.perf_counter() - start)
            out[name] = 2 * n * 4 / best / 1e9
    finally:
        torch.set_num_threads(previous)
    return out


def _levels(info: CpuInfo, threads: int, sweep: dict, plan: SweepPlan) -> dict[str, Any]:
    capacities = [(c.name, c.aggregate(threads)) for c in info.caches]
    plateaus = detect_plateaus(sweep["bytes"], sweep["gbs"], min_points=plan.min_points, tol=0.08)
    named = name_levels(plateaus, capacities, "DRAM")
    out = {}
    for name, level in level_bandwidths(sweep["bytes"], sweep["gbs"], capacities, "DRAM").items():
        plateau = named.get(name)
        out[name] = {
            "gbs": level["value"],
            "max_gbs": level["max_value"],
            "from_bytes": level["from_bytes"],
            "to_bytes": level["to_bytes"],
            "n_points": level["n_points"],
            "capacity_bytes": dict(capacities).get(name),
            "plateau": plateau.to_dict() if plateau else None,
        }
    return {"levels": out, "plateaus": [p.to_dict() for p in plateaus]}


def characterise_cpu(info: CpuInfo, plan: SweepPlan, precision: str, tick: Tick) -> dict[str, Any]:
    """Run every CPU measurement of ``plan``; return the ``ceilings`` and ``sweeps`` sections."""
    modes = {"single_core": 1, "all_core": info.cores}
    dtype = DTYPES[precision] if precision in ("fp32", "fp64") else "float32"
    sweeps: dict[str, Any] = {"bandwidth": {}, "flops": {}}
    memory: dict[str, Any] = {}
    for mode, threads in modes.items():
        sweep = bandwidth_sweep(plan, threads, dtype, tick)
        sweeps["bandwidth"][mode] = sweep
        memory[mode] = _levels(info, threads, sweep, plan)

    llc = max((c.aggregate(1) for c in info.caches), default=32 * 2**20)
    sweeps["intensity"] = {"single_core": intensity_sweep(plan, 2 * llc, dtype, tick)}

    compute: dict[str, Any] = {}
    for short in ("fp64", "fp32"):
        dt = DTYPES[short]
        compute[short] = {"vector_bits": fma_vector_width(dt)}
        for mode, threads in modes.items():
            sweep = flops_sweep(plan, threads, dt, tick)
            sweeps["flops"].setdefault(short, {})[mode] = sweep
            best = int(np.argmax(sweep["gflops"]))
            theory = cpu_theoretical_gflops(info, dt, threads)
            compute[short][mode] = {
                "gflops": sweep["gflops"][best],
                "best_k": sweep["k"][best],
                "theoretical_gflops": theory["gflops"],
                "theoretical_formula": theory["formula"],
                "ratio": sweep["gflops"][best] / theory["gflops"] if theory["gflops"] else None,
                "implied_clock_ghz": sweep["gflops"][best] / (threads * theory["flop_per_cycle_per_core"]),
            }

    gemm: dict[str, Any] = {}
    for short in ("fp64", "fp32", "bf16"):
        gflops = cpu_gemm(plan.gemm_n, DTYPES[short], info.cores, plan.repeats)
        theory = cpu_theoretical_gflops(info, DTYPES[short], info.cores)
        gemm[short] = {
            "gflops": gflops,
            "n": plan.gemm_n,
            "how": "torch.matmul",
            "theoretical_gflops": theory["gflops"],
            "theoretical_formula": theory["formula"],
            "ratio": gflops / theory["gflops"] if theory["gflops"] else None,
        }
        tick(f"gemm {short}")

    copy_bytes = max(plan.max_bytes // 2, 1 << 25)
    copy: dict[str, Any] = {}
    for mode, threads in modes.items():
        gbs = cpu_copy(copy_bytes, threads, 3 * plan.repeats)  # about as many tries as the DRAM window had
        dram = memory[mode]["levels"].get("DRAM", {}).get("gbs")
        copy[mode] = {
            "inplace_gbs": gbs["inplace"],
            "copy_gbs": gbs["copy"],
            "array_bytes": copy_bytes,
            "how": "torch: a.mul_(1) in place / dst.copy_(src)",
            "dram_plateau_gbs": dram,
            "dram_over_inplace": dram / gbs["inplace"] if dram else None,
            "dram_over_copy": dram / gbs["copy"] if dram else None,
        }
        tick(f"copy {mode}")
    notes = ["FP16/BF16 vector FMA is not measured on a CPU: x86 has no FP16 FMA before AVX512-FP16, and "
             "AVX512_BF16 / AMX only multiply into FP32 (dot products); their ceiling is the bf16 GEMM."]
    return {
        "ceilings": {"compute": compute, "gemm": gemm, "memory": memory, "copy": copy, "notes": notes},
        "sweeps": sweeps,
    }
