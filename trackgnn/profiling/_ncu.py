"""Nsight Compute (``ncu``): metric sets per architecture, runner and CSV parser.

Per kernel (2009.05257)::

    time    = gpu__time_duration.sum            (or sm__cycles_elapsed.avg / .avg.per_second)
    FLOPs   = dadd + dmul + 2 dfma   (FP64), fadd + fmul + 2 ffma (FP32), hadd + hmul + 2 hfma (FP16)
              from sm__sass_thread_inst_executed_op_<op>_pred_on.sum
    tensor  = factor x tensor-pipe count  (factor calibrated on a GEMM of known size)
    bytes   = l1tex__t_bytes.sum (L1), lts__t_bytes.sum (L2), dram__bytes.sum (HBM)

Tensor metrics differ by architecture: Volta/Ampere count tensor-pipe
instructions (``sm__inst_executed_pipe_tensor.sum``), Hopper exposes
operation counts per data path (``sm__ops_path_tensor_*``).  The runner keeps
the candidates that ``ncu --query-metrics`` lists for the device's chip.

Kernels are attributed to stages with one ncu run per stage filtered by the
stage's NVTX push/pop range (``--nvtx --nvtx-include <stage>/``); a CSV that
carries an NVTX column is attributed from that column instead.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any, Sequence

from trackgnn.errors import DataFormatError, MissingInputError

__all__ = ["BASE_METRICS", "TENSOR_CANDIDATES", "KernelRecord", "metrics_for", "parse_ncu_csv",
           "kernel_cost", "stage_totals", "calibrate_tensor_factor", "ncu_command", "find_ncu", "run_ncu"]

_FLOP_OPS = {"fp64": "d", "fp32": "f", "fp16": "h"}
BASE_METRICS = [
    "gpu__time_duration.sum", "sm__cycles_elapsed.avg", "sm__cycles_elapsed.avg.per_second",
    *[f"sm__sass_thread_inst_executed_op_{p}{op}_pred_on.sum" for p in _FLOP_OPS.values() for op in ("add", "mul", "fma")],
    "l1tex__t_bytes.sum", "lts__t_bytes.sum", "dram__bytes.sum",
]
TENSOR_CANDIDATES = {
    7: ["sm__inst_executed_pipe_tensor.sum"],
    8: ["sm__inst_executed_pipe_tensor.sum", "sm__inst_executed_pipe_tensor_op_hmma.sum",
        "sm__inst_executed_pipe_tensor_op_dmma.sum"],
    9: ["sm__ops_path_tensor_src_fp16_dst_fp32.sum", "sm__ops_path_tensor_src_fp16_dst_fp16.sum",
        "sm__ops_path_tensor_src_bf16_dst_fp32.sum", "sm__ops_path_tensor_src_tf32_dst_fp32.sum",
        "sm__ops_path_tensor_src_fp64.sum", "sm__ops_path_tensor_src_fp8.sum",
        "sm__inst_executed_pipe_tensor.sum"],
}
_UNITS = {"byte": 1, "kbyte": 1e3, "mbyte": 1e6, "gbyte": 1e9, "kibyte": 1024, "mibyte": 2**20, "gibyte": 2**30,
          "nsecond": 1e-9, "usecond": 1e-6, "msecond": 1e-3, "second": 1,
          "cycle/nsecond": 1e9, "cycle/usecond": 1e6, "cycle/second": 1}
_LEVEL_METRICS = {"L1": "l1tex__t_bytes.sum", "L2": "lts__t_bytes.sum", "HBM": "dram__bytes.sum"}


@dataclass
class KernelRecord:
    """One profiled kernel launch: name, NVTX label (if any) and metric values in base units."""

    id: int
    name: str
    nvtx: str | None
    metrics: dict[str, float] = field(default_factory=dict)


def metrics_for(major: int, available: str | None = None) -> list[str]:
    """Metric list for compute capability ``major`` (7 Volta, 8 Ampere, 9 Hopper).

    ``available`` is ``ncu --query-metrics`` output; tensor candidates absent
    from it are dropped.
    """
    tensor = TENSOR_CANDIDATES.get(major, TENSOR_CANDIDATES[9 if major > 9 else 7])
    if available is not None:
        tensor = [m for m in tensor if m.split(".")[0] in available]
    return [*BASE_METRICS, *tensor]


def _number(text: str, unit: str) -> float | None:
    text = text.strip().replace(",", "")
    if text in ("", "n/a", "N/A"):
        return None
    value = float(text)
    return value * _UNITS.get(unit.strip().lower(), 1)


def parse_ncu_csv(text: str, source: str = "ncu output", metrics: Sequence[str] | None = None,
                  empty_ok: bool = False) -> list[KernelRecord]:
    """Parse ``ncu --csv --page raw`` output (program output and ``==PROF==`` lines may precede it).

    The header row starts with ``"ID"``; an optional units row follows (its
    first cell is empty).  Values are converted to base units (bytes, seconds).
    A value that is not a number is an error in the ``metrics`` asked for (default: every
    ``a__b`` column but ncu's ``device__attribute_*`` context, which holds words such as
    ``No-CC``); other columns keep only their numbers.  ``empty_ok``: output without a CSV
    (the program launched no kernel in the profiled range) is no kernels, not an error.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID"')), None)
    if start is None and empty_ok:
        return []
    if start is None:
        raise DataFormatError(f"{source}: no ncu CSV header (a row starting with \"ID\") found")
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    header, body = rows[0], rows[1:]
    for column in ("ID", "Kernel Name"):
        if column not in header:
            raise DataFormatError(f"{source}: column {column!r} missing from the ncu CSV header")
    units = [""] * len(header)
    if body and body[0] and body[0][0] == "":
        units, body = body[0], body[1:]
    nvtx_cols = [i for i, h in enumerate(header) if "nvtx" in h.lower()]
    metric_cols = [i for i, h in enumerate(header) if "__" in h]
    strict = (set(metrics) if metrics is not None
              else {h for h in header if "__" in h and not h.startswith("device__attribute")})
    records = []
    for row_no, row in enumerate(body, start=start + 2):
        if not row or len(row) != len(header):
            continue
        metrics = {}
        for i in metric_cols:
            try:
                value = _number(row[i], units[i])
            except ValueError:
                if header[i] not in strict:
                    continue
                raise DataFormatError(f"{source}: line {row_no}, column {header[i]!r}: "
                                      f"value {row[i]!r} is not a number") from None
            if value is not None:
                metrics[header[i]] = value
        nvtx = next((row[i] for i in nvtx_cols if row[i].strip()), None)
        records.append(KernelRecord(int(row[header.index("ID")]), row[header.index("Kernel Name")], nvtx, metrics))
    return records


def _tensor_count(metrics: dict[str, float]) -> float:
    """Tensor-pipe work: the sum of Hopper's per-path op counts, else Volta/Ampere's instruction count.

    The per-opcode breakdowns (``..._op_hmma``, ``..._op_dmma``) are parts of the
    instruction count and are not added again.
    """
    ops = [v for k, v in metrics.items() if k.startswith("sm__ops_path_tensor")]
    if ops:
        return float(sum(ops))
    return metrics.get("sm__inst_executed_pipe_tensor.sum", 0.0)


def kernel_cost(record: KernelRecord, tensor_factor: float) -> dict[str, Any]:
    """Time, FLOPs by precision (+ tensor) and bytes per level of one kernel."""
    m = record.metrics
    if "gpu__time_duration.sum" in m:
        time_s = m["gpu__time_duration.sum"]
    else:
        time_s = m.get("sm__cycles_elapsed.avg", 0.0) / max(m.get("sm__cycles_elapsed.avg.per_second", 1.0), 1.0)
    flops = {}
    for precision, p in _FLOP_OPS.items():
        get = lambda op: m.get(f"sm__sass_thread_inst_executed_op_{p}{op}_pred_on.sum", 0.0)  # noqa: E731
        flops[precision] = get("add") + get("mul") + 2 * get("fma")
    flops["tensor"] = tensor_factor * _tensor_count(m)
    return {"name": record.name, "nvtx": record.nvtx, "time_s": time_s, "flops_by_precision": flops,
            "flops": sum(flops.values()),
            "bytes_by_level": {lvl: m[name] for lvl, name in _LEVEL_METRICS.items() if name in m}}


def stage_totals(costs: Sequence[dict[str, Any]], stages: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Sum kernel costs per stage; a kernel belongs to the stage its NVTX label names."""
    totals: dict[str, dict[str, Any]] = {}
    for cost in costs:
        label = cost.get("stage") or next((s for s in stages if cost["nvtx"] and s in cost["nvtx"]), None)
        if label is None:
            continue
        t = totals.setdefault(label, {"time_s": 0.0, "flops": 0.0, "n_kernels": 0, "bytes_by_level": {}})
        t["time_s"] += cost["time_s"]
        t["flops"] += cost["flops"]
        t["n_kernels"] += 1
        for lvl, b in cost["bytes_by_level"].items():
            t["bytes_by_level"][lvl] = t["bytes_by_level"].get(lvl, 0.0) + b
    return totals


def calibrate_tensor_factor(records: Sequence[KernelRecord], known_flops: float) -> float:
    """FLOPs per unit of the tensor metric, from the kernels of a GEMM of ``known_flops`` (2 n^3)."""
    count = sum(_tensor_count(r.metrics) for r in records)
    if count <= 0:
        raise DataFormatError("tensor-factor calibration: the GEMM's kernels report no tensor-pipe activity")
    return known_flops / count


def find_ncu() -> str:
    """Path of ``ncu``; MissingInputError saying how to get it."""
    path = shutil.which("ncu")
    if path is None:
        raise MissingInputError("--ncu: Nsight Compute's `ncu` is not on the PATH "
                                "(install the CUDA toolkit's nsight-compute, or drop --ncu)")
    return path


def ncu_command(ncu: str, metrics: Sequence[str], argv: Sequence[str], nvtx_range: str | None = None) -> list[str]:
    """``ncu`` command line for ``argv`` collecting ``metrics`` (CSV, raw page, base units)."""
    cmd = [ncu, "--csv", "--page", "raw", "--print-units", "base", "--target-processes", "all",
           "--metrics", ",".join(metrics)]
    if nvtx_range is not None:
        cmd += ["--nvtx", "--nvtx-include", f"{nvtx_range}/"]
    return [*cmd, *argv]


def run_ncu(cmd: Sequence[str], timeout_s: float = 1800, empty_ok: bool = False) -> list[KernelRecord]:
    """Run an ``ncu`` command line and parse its CSV (``empty_ok``: see :func:`parse_ncu_csv`)."""
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout_s)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-2000:]
        raise MissingInputError(f"ncu failed (exit {proc.returncode}): {' '.join(cmd[:8])} ...\n{tail}")
    metrics = cmd[list(cmd).index("--metrics") + 1].split(",") if "--metrics" in cmd else None
    return parse_ncu_csv(proc.stdout, source=f"`{' '.join(cmd[:3])} ...`", metrics=metrics, empty_ok=empty_ok)
