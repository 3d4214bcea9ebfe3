"""How big and how long a machine characterisation runs (``--quick`` or full)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SweepPlan", "make_plan", "DTYPES"]

DTYPES = {"fp64": "float64", "fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


@dataclass(frozen=True)
class SweepPlan:
    """Sizes and durations of one characterisation.

    ``min_bytes``/``max_bytes``/``step`` define the geometric working-set sweep,
    ``target_s`` the length of one timed run, ``repeats`` how many are taken (the
    fastest wins), ``ks`` the FMA counts per element, ``gemm_n`` the GEMM size
    and ``min_points`` the plateau length.
    """

    quick: bool
    min_bytes: int
    max_bytes: int
    step: float
    target_s: float
    repeats: int
    ks: tuple[int, ...]
    gemm_n: int
    min_points: int
    calibrate_cap: float = 20.0

    def sizes(self, granule: int) -> list[int]:
        """Working-set sizes (bytes), rounded to multiples of ``granule`` and unique."""
        n = int(np.floor(np.log(self.max_bytes / self.min_bytes) / np.log(self.step))) + 1
        raw = self.min_bytes * self.step ** np.arange(n)
        rounded = np.unique(np.maximum(granule, (raw // granule).astype(np.int64) * granule))
        return [int(s) for s in rounded]


def make_plan(quick: bool, last_cache_bytes: int, device: str) -> SweepPlan:
    """Plan a sweep reaching 8x (quick) / 16x (full) the last-level cache."""
    if device == "cuda":
        ks = (1, 8, 32, 64, 128, 256) if not quick else (1, 64, 256)
        return SweepPlan(
            quick=quick,
            min_bytes=256 * 1024,
            max_bytes=max(1 << 28, (8 if quick else 16) * last_cache_bytes),
            step=1.3 if quick else 1.1,
            target_s=0.005 if quick else 0.02,
            repeats=3 if quick else 5,
            ks=ks,
            gemm_n=4096 if quick else 8192,
            min_points=4 if quick else 6,
        )
    return SweepPlan(
        quick=quick,
        min_bytes=4 * 1024,
        max_bytes=max(1 << 26, 8 * last_cache_bytes),
        step=1.4 if quick else 1.1,
        # short runs, many shuffled passes: on shared cores the fastest of many short runs
        # finds the quiet windows that long runs never get
        target_s=0.002 if quick else 0.005,
        repeats=3 if quick else 7,
        ks=(1, 4, 8, 16) if quick else (1, 2, 4, 8, 16, 32, 64, 128),
        gemm_n=1024 if quick else 2048,
        min_points=4 if quick else 6,
        calibrate_cap=5.0 if quick else 20.0,
    )
