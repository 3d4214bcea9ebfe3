"""What the machine says about itself, and what it should reach on paper.

CPU theoretical peak (per precision)::

    peak = cores x (FMA pipe width / element width) x FMA pipes x 2 FLOP x clock

Core count comes from the scheduler affinity, the clock from :func:`psutil.cpu_freq`
(cpufreq's maximum) or, in VMs without cpufreq, ``/proc/cpuinfo``'s ``cpu MHz``
(the base clock: turbo can exceed that "theoretical" figure, which the JSON
reports as a ratio above 1 and an implied clock).  The FMA datapath is not
exposed by the OS; it comes from a small micro-architecture table keyed on
vendor, family and ISA flags (:data:`_FMA_DATAPATH`).  Cache sizes come from
``/sys/devices/system/cpu/cpu0/cache``.

GPU figures come from ``torch.cuda.get_device_properties`` plus a datasheet
table (:data:`GPU_DATASHEETS`, dense TFLOP/s and GB/s, NVIDIA datasheets and
architecture whitepapers).
"""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CacheLevel", "CpuInfo", "GPU_DATASHEETS", "cpu_info", "gpu_info", "cpu_theoretical_gflops"]

_BYTES = {"float64": 8, "float32": 4, "bfloat16": 2, "float16": 2}


@dataclass(frozen=True)
class CacheLevel:
    """One data/unified cache level as the OS reports it.

    ``size_bytes`` is one instance; ``shared_by`` the number of CPUs sharing it.
    """

    name: str
    level: int
    size_bytes: int
    shared_by: int

    def aggregate(self, n_threads: int) -> int:
        """Capacity seen by ``n_threads`` threads on distinct cores (bytes)."""
        instances = max(1, -(-n_threads // max(1, self.shared_by)))
        return self.size_bytes * instances


@dataclass
class CpuInfo:
    model: str
    vendor: str
    family: int
    cores: int
    clock_ghz: float
    clock_source: str
    simd_bits: int
    fma_pipes: int
    fma_pipe_bits: int
    datapath_source: str
    has_bf16: bool
    has_amx: bool
    caches: list[CacheLevel] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# (vendor, family predicate, needs avx512) -> (FMA pipes, pipe width bits, note)
_FMA_DATAPATH: list[tuple[str, tuple[int, int], bool, tuple[int, int, str]]] = [
    ("AuthenticAMD", (0x1A, 0x1A), True, (2, 512, "AMD Zen 5: 2 x 512-bit FMA")),
    ("AuthenticAMD", (0x19, 0x19), True, (2, 256, "AMD Zen 4: AVX-512 on 2 x 256-bit FMA pipes")),
    ("AuthenticAMD", (0x17, 0x19), False, (2, 256, "AMD Zen 2/3: 2 x 256-bit FMA")),
    ("GenuineIntel", (6, 6), True, (2, 512, "Intel AVX-512 server core: 2 x 512-bit FMA (some SKUs have 1)")),
    ("GenuineIntel", (6, 6), False, (2, 256, "Intel AVX2 core: 2 x 256-bit FMA")),
]


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _cpuinfo_fields() -> dict[str, str]:
    text = _read(Path("/proc/cpuinfo")) or ""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # first processor block only
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _parse_size(text: str) -> int:
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    text = text.strip().upper()
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _count_cpus(cpu_list: str) -> int:
    n = 0
    for part in cpu_list.split(","):
        lo, _, hi = part.partition("-")
        n += int(hi or lo) - int(lo) + 1
    return n


def _caches(root: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> list[CacheLevel]:
    levels = []
    for index in sorted(root.glob("index*")):
        kind = _read(index / "type")
        level = _read(index / "level")
        size = _read(index / "size")
        shared = _read(index / "shared_cpu_list")
        if kind == "Instruction" or level is None or size is None:
            continue
        levels.append(
            CacheLevel(
                name=f"L{level}",
                level=int(level),
                size_bytes=_parse_size(size),
                shared_by=_count_cpus(shared) if shared else 1,
            )
        )
    return sorted(levels, key=lambda c: c.level)


def _clock() -> tuple[float, str]:
    """Clock (GHz) and where it came from: :func:`psutil.cpu_freq`'s maximum (cpufreq), else its
    current value (``/proc/cpuinfo``'s ``cpu MHz`` in VMs without cpufreq)."""
    import psutil

    try:
        freq = psutil.cpu_freq()
    except (OSError, NotImplementedError):
        freq = None
    if freq is not None and freq.max:
        return freq.max / 1e3, "psutil.cpu_freq max (cpufreq)"
    if freq is not None and freq.current:
        return freq.current / 1e3, "psutil.cpu_freq current (/proc/cpuinfo cpu MHz: base clock; turbo may exceed it)"
    return 0.0, "unknown"


def cpu_info() -> CpuInfo:
    """Describe this CPU: model, usable cores, clock, SIMD/FMA datapath and caches."""
    fields = _cpuinfo_fields()
    flags = set(fields.get("flags", "").split())
    vendor = fields.get("vendor_id", platform.machine())
    family = int(fields.get("cpu family", "0") or 0)
    avx512 = "avx512f" in flags
    simd_bits = 512 if avx512 else 256 if "avx2" in flags else 128
    pipes, pipe_bits, source = 1, simd_bits, "assumed: one FMA pipe of the SIMD width"
    for table_vendor, (lo, hi), need_avx512, datapath in _FMA_DATAPATH:
        if vendor == table_vendor and lo <= family <= hi and (avx512 or not need_avx512):
            pipes, pipe_bits, source = datapath  # rows needing AVX-512 come first
            break
    clock, clock_source = _clock()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return CpuInfo(
        model=fields.get("model name", platform.processor() or "unknown CPU"),
        vendor=vendor,
        family=family,
        cores=cores,
        clock_ghz=clock,
        clock_source=clock_source,
        simd_bits=simd_bits,
        fma_pipes=pipes,
        fma_pipe_bits=min(pipe_bits, simd_bits),
        datapath_source=source,
        has_bf16="avx512_bf16" in flags or "amx_bf16" in flags,
        has_amx="amx_bf16" in flags,
        caches=_caches(),
    )


def cpu_theoretical_gflops(info: CpuInfo, dtype: str, n_cores: int) -> dict[str, Any]:
    """Theoretical FMA peak in GFLOP/s for ``dtype`` on ``n_cores`` cores, with its formula."""
    lanes = info.fma_pipe_bits // (8 * _BYTES[dtype])
    per_cycle = lanes * info.fma_pipes * 2
    if dtype == "bfloat16" and info.has_amx:
        per_cycle = 2048  # AMX-BF16 tile unit: 1024 BF16 FMA / cycle / core
    elif dtype == "bfloat16" and info.has_bf16:
        per_cycle = 2 * (info.fma_pipe_bits // 32) * info.fma_pipes * 2  # VDPBF16PS: pairs into FP32
    return {
        "gflops": n_cores * per_cycle * info.clock_ghz,
        "formula": f"{n_cores} cores x {per_cycle} FLOP/cycle x {info.clock_ghz:.3f} GHz",
        "flop_per_cycle_per_core": per_cycle,
    }


# Dense figures, TFLOP/s (GB/s for memory).  Sources: NVIDIA V100/A100/H100/H200
# datasheets; FP16 non-tensor and L1 bytes/clk from the architecture whitepapers.
GPU_DATASHEETS: dict[str, dict[str, float]] = {
    "H200": {"fp64": 34, "fp32": 67, "fp16": 133.8, "tensor_fp64": 67, "tensor_tf32": 494.7,
             "tensor_bf16": 989.4, "tensor_fp16": 989.4, "hbm_gbs": 4800, "boost_ghz": 1.98, "sms": 132},
    "H100 PCIe": {"fp64": 25.6, "fp32": 51.2, "fp16": 102.4, "tensor_fp64": 51.2, "tensor_tf32": 378,
                  "tensor_bf16": 756, "tensor_fp16": 756, "hbm_gbs": 2000, "boost_ghz": 1.755, "sms": 114},
    "H100": {"fp64": 34, "fp32": 67, "fp16": 133.8, "tensor_fp64": 67, "tensor_tf32": 494.7,
             "tensor_bf16": 989.4, "tensor_fp16": 989.4, "hbm_gbs": 3350, "boost_ghz": 1.98, "sms": 132},
    "A100-SXM4-40GB": {"fp64": 9.7, "fp32": 19.5, "fp16": 78, "tensor_fp64": 19.5, "tensor_tf32": 156,
                       "tensor_bf16": 312, "tensor_fp16": 312, "hbm_gbs": 1555, "boost_ghz": 1.41, "sms": 108},
    "A100": {"fp64": 9.7, "fp32": 19.5, "fp16": 78, "tensor_fp64": 19.5, "tensor_tf32": 156,
             "tensor_bf16": 312, "tensor_fp16": 312, "hbm_gbs": 2039, "boost_ghz": 1.41, "sms": 108},
    "V100": {"fp64": 7.8, "fp32": 15.7, "fp16": 31.4, "tensor_fp16": 125, "hbm_gbs": 900,
             "boost_ghz": 1.53, "sms": 80},
}
_L1_BYTES_PER_CLK_PER_SM = 128  # Volta/Ampere/Hopper whitepapers


def _datasheet_for(name: str) -> tuple[str, dict[str, float]] | tuple[None, None]:
    for key in GPU_DATASHEETS:  # ordered most specific first
        tokens = key.split()
        if all(tok.lower() in name.lower() for tok in tokens):
            return key, GPU_DATASHEETS[key]
    return None, None


def gpu_info(index: int = 0) -> dict[str, Any]:
    """Device properties of CUDA device ``index`` plus its datasheet row (if known)."""
    import torch

    props = torch.cuda.get_device_properties(index)
    key, sheet = _datasheet_for(props.name)
    info: dict[str, Any] = {
        "name": props.name,
        "compute_capability": f"{props.major}.{props.minor}",
        "sms": props.multi_processor_count,
        "memory_bytes": props.total_memory,
        "l2_bytes": getattr(props, "L2_cache_size", None),
        "datasheet": key,
        "theoretical": dict(sheet) if sheet else {},
    }
    if sheet:
        info["theoretical"]["l1_gbs"] = (
            props.multi_processor_count * _L1_BYTES_PER_CLK_PER_SM * sheet["boost_ghz"]
        )
    return info
