"""Roofline figures (matplotlib, Agg): bandwidth curve, hierarchical and time-based rooflines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from trackgnn.io import atomic_path

__all__ = ["plot_bandwidth", "plot_hierarchical_roofline", "plot_time_roofline"]

_LEVEL_COLOURS = {"L1": "tab:blue", "L2": "tab:green", "L3": "tab:orange", "DRAM": "tab:red", "HBM": "tab:red"}


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    _figure().close(fig)
    return path


def plot_bandwidth(machine: dict[str, Any], path: Path) -> Path:
    """GB/s against working-set size, one curve per thread mode, detected levels shaded;
    beside it (CPU) the kernel's GFLOP/s against intensity at DRAM under the one-core roofline."""
    plt = _figure()
    intensity = machine["sweeps"].get("intensity", {}).get("single_core")
    if intensity:
        fig, (ax, ax_i) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [3, 2]})
        _plot_intensity(ax_i, machine, intensity)
    else:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    for mode, sweep in machine["sweeps"]["bandwidth"].items():
        ax.plot(sweep["bytes"], sweep["gbs"], marker=".", label=mode.replace("_", "-"))
        for name, level in machine["ceilings"]["memory"][mode]["levels"].items():
            if "from_bytes" not in level:
                continue
            colour = _LEVEL_COLOURS.get(name, "grey")
            ax.hlines(level["gbs"], level["from_bytes"], level["to_bytes"], colors=colour, linewidth=3, alpha=0.6)
            ax.annotate(f"{name} {level['gbs']:.0f}", (level["from_bytes"], level["gbs"]),
                        textcoords="offset points", xytext=(0, 4), fontsize=8, color=colour)
    for cache in machine["system"]["cpu"]["caches"] if machine["device"] == "cpu" else []:
        ax.axvline(cache["size_bytes"], color="grey", linestyle=":", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("working set (bytes)")
    ax.set_ylabel("bandwidth (GB/s, read + write)")
    ax.set_title(f"ERT bandwidth sweep: {machine['key']}")
    ax.legend()
    return _save(fig, path)


def _plot_intensity(ax, machine: dict[str, Any], sweep: dict[str, Any]) -> None:
    levels = machine["ceilings"]["memory"]["single_core"]["levels"]
    precision = "fp64" if sweep["dtype"] == "float64" else "fp32"
    peak = machine["ceilings"]["compute"][precision]["single_core"]["gflops"]
    x = np.logspace(np.log10(min(sweep["intensity"]) / 2), np.log10(max(sweep["intensity"]) * 2), 100)
    if "DRAM" in levels:
        ax.plot(x, np.minimum(levels["DRAM"]["gbs"] * x, peak), color="tab:red",
                label=f"roof: DRAM {levels['DRAM']['gbs']:.0f} GB/s, {precision} FMA {peak:.0f} GFLOP/s")
    ax.plot(sweep["intensity"], sweep["gflops"], marker="o", color="black", label="ERT kernel, K FMAs/element")
    for k, xi, yi in zip(sweep["k"], sweep["intensity"], sweep["gflops"]):
        ax.annotate(f"K={k}", (xi, yi), fontsize=7, textcoords="offset points", xytext=(3, -9))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP/byte)")
    ax.set_ylabel("GFLOP/s")
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_title(f"one core, {sweep['bytes'] / 2**20:.0f} MiB working set (DRAM)")
    ax.legend(fontsize=7)


def _roof_lines(ax, roofs: dict[str, dict[str, float]], x: np.ndarray) -> None:
    peak = max(roofs["compute"].values())
    for name, gflops in roofs["compute"].items():
        ax.axhline(gflops, color="black", linewidth=0.8, linestyle="--" if "GEMM" in name else "-")
        ax.text(x[-1], gflops, f" {name} {gflops:.0f}", va="bottom", ha="right", fontsize=7)
    for name, gbs in roofs["memory"].items():
        y = np.minimum(gbs * x, peak)
        ax.plot(x, y, color=_LEVEL_COLOURS.get(name, "grey"), linewidth=1)
        ax.text(x[0], gbs * x[0], f"{name} {gbs:.0f} GB/s", fontsize=7, color=_LEVEL_COLOURS.get(name, "grey"))


def plot_hierarchical_roofline(machine: dict[str, Any], stages: list[dict[str, Any]], path: Path) -> Path:
    """One dot per stage per memory level at (FLOPs/bytes_level, GFLOP/s); marker area ~ time."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    x = np.logspace(-3, 4, 200)
    _roof_lines(ax, machine["roofs"], x)
    total = sum(s["time_s"] for s in stages) or 1.0
    markers = "osD^vP*X"
    for i, stage in enumerate(stages):
        by_level = stage.get("bytes_by_level") or {"compulsory": stage["bytes"]}
        for level, nbytes in by_level.items():
            if not nbytes or not stage["flops"]:
                continue
            ax.scatter(stage["flops"] / nbytes, stage["gflops"], s=20 + 600 * stage["time_s"] / total,
                       marker=markers[i % len(markers)], color=_LEVEL_COLOURS.get(level, "tab:purple"),
                       alpha=0.7, edgecolors="black", label=f"{stage['name']} ({level})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP/byte)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("hierarchical roofline (marker area ~ time)")
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def plot_time_roofline(machine: dict[str, Any], stages: list[dict[str, Any]], launch_s: float, path: Path) -> Path:
    """FLOPs and bytes against time with the machine's rates as lines and the launch floor."""
    plt = _figure()
    fig, (ax_f, ax_b) = plt.subplots(1, 2, figsize=(11, 4.5), sharex=True)
    times = [s["time_s"] for s in stages] or [1e-3]
    t = np.logspace(np.log10(min(launch_s, min(times)) / 3), np.log10(max(times) * 3), 100)
    for ax, field, roofs, unit in ((ax_f, "flops", machine["roofs"]["compute"], 1e9),
                                   (ax_b, "bytes", machine["roofs"]["memory"], 1e9)):
        for name, rate in roofs.items():
            ax.plot(t, rate * unit * t, linewidth=0.8, label=name, color=_LEVEL_COLOURS.get(name))
        ax.axvline(launch_s, color="grey", linestyle=":", label=f"one launch {launch_s * 1e6:.1f} us")
        for stage in stages:
            if stage[field] > 0:
                ax.scatter(stage["time_s"], stage[field], s=30, edgecolors="black")
                ax.annotate(stage["name"], (stage["time_s"], stage[field]), fontsize=7,
                            textcoords="offset points", xytext=(3, 3))
            ax.axvline(stage["n_ops"] * launch_s, color="grey", linewidth=0.3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("time (s)")
        ax.set_ylabel(field)
        ax.legend(fontsize=6)
    ax_f.set_title("FLOPs vs time (lines: peak rates)")
    ax_b.set_title("bytes vs time (lines: bandwidths)")
    return _save(fig, path)
