"""What bounds each stage: compute, a memory level, or launch/latency.

Roofline time model per stage::

    t_compute = FLOPs / P          (P: GEMM roof when matmuls dominate, else the FMA roof)
    t_memory  = bytes_L / B_L      (per memory level L with a byte count)
    t_launch  = n_ops x t_launch1  (measured per-operator launch/dispatch cost)
    t_roof    = max(t_compute, t_memory..., t_launch)

The bound is the term that sets ``t_roof``; ``fraction_of_roof = t_roof /
t_measured`` (1 = running at that roof) and ``speedup_available = t_measured /
t_roof``.  A stage far below every roof (``fraction_of_roof < 0.1``) spends
its time in work the model does not see (Python, serial library code, waits):
its ``regime`` says "latency/overhead" while ``bound`` still names the roof it
would meet first.  A stage whose FLOPs are only a lower bound (``flops_lower_bound``,
e.g. a KD-tree search) gets a ", lower bound" compute term and carries the note:
its ``fraction_of_roof`` is then a lower bound and ``speedup_available`` an upper bound.  Compulsory bytes (no hardware counters) are charged to the
smallest memory level whose capacity holds them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["stage_verdicts", "compute_roof_for", "memory_level_for"]


def compute_roof_for(stage: dict[str, Any], roofs: dict[str, float], precision: str) -> tuple[str, float]:
    """Name and GFLOP/s of the compute roof a stage can reach."""
    gemm, fma = f"{precision} GEMM", f"{precision} FMA"
    matmul_share = stage["matmul_flops"] / stage["flops"] if stage["flops"] else 0.0
    if matmul_share > 0.5 and gemm in roofs:
        return gemm, roofs[gemm]
    # no vector unit of this precision (e.g. bf16 on a CPU): element-wise work runs in FP32
    name = fma if fma in roofs else "fp32 FMA" if "fp32 FMA" in roofs else next(iter(roofs))
    return name, roofs[name]


def memory_level_for(nbytes: float, levels: dict[str, dict[str, Any]]) -> str:
    """Smallest level whose capacity holds ``nbytes`` (main memory when none does)."""
    for name, level in levels.items():
        capacity = level.get("capacity_bytes")
        if capacity and nbytes <= capacity:
            return name
    return list(levels)[-1]


def _regime(fraction: float) -> str:
    if fraction >= 0.5:
        return "at roof"
    if fraction >= 0.1:
        return "below roof"
    return "latency/overhead"


def stage_verdicts(stages: list[dict[str, Any]], machine: dict[str, Any], launch_s: float,
                   precision: str = "fp32") -> list[dict[str, Any]]:
    """One verdict per stage dict (``StageProfile.to_dict()``, optionally with ``bytes_by_level``)."""
    roofs = machine["roofs"]
    levels = machine["ceilings"]["memory"]["all_core"]["levels"]
    verdicts = []
    for stage in stages:
        roof_name, peak = compute_roof_for(stage, roofs["compute"], precision)
        note = stage.get("flops_lower_bound")
        compute = f"compute ({roof_name}, lower bound)" if note else f"compute ({roof_name})"
        terms = {compute: stage["flops"] / (peak * 1e9)}
        by_level = stage.get("bytes_by_level") or {
            memory_level_for(stage["bytes"], levels): stage["bytes"]
        }
        for level, nbytes in by_level.items():
            bandwidth = roofs["memory"].get(level)
            if bandwidth:
                terms[f"memory ({level})"] = nbytes / (bandwidth * 1e9)
        terms["launch/latency"] = stage["n_ops"] * launch_s
        bound = max(terms, key=terms.get)
        t_roof = terms[bound]
        verdicts.append({
            "stage": stage["name"],
            "time_s": stage["time_s"],
            "bound": bound,
            "roof_time_s": t_roof,
            "fraction_of_roof": t_roof / stage["time_s"] if stage["time_s"] else None,
            "speedup_available": stage["time_s"] / t_roof if t_roof else None,
            "terms_s": terms,
            "regime": _regime(t_roof / stage["time_s"] if stage["time_s"] else 0.0),
            "lower_bound": note,
        })
    return verdicts
