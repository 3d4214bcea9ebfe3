"""Orchestration behind ``trackgnn roofline``: measure, write JSON + PNG + markdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from trackgnn.io import atomic_path
from trackgnn.profiling._app import REFERENCE_FORWARD, StageProfile, launch_overhead
from trackgnn.profiling._plots import plot_bandwidth, plot_hierarchical_roofline, plot_time_roofline
from trackgnn.profiling._report import app_markdown, machine_markdown
from trackgnn.profiling._verdict import stage_verdicts

__all__ = ["write_json", "write_text", "write_machine_outputs", "app_roofline", "hardware_counters_status"]


def write_json(obj: Any, path: Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, default=float))
    return path


def write_text(text: str, path: Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return path


def write_machine_outputs(machine: dict[str, Any], out: Path) -> list[Path]:
    """``machine.json``, ``machine.md`` and ``bandwidth.png`` in ``out``."""
    return [write_json(machine, out / "machine.json"),
            write_text(machine_markdown(machine), out / "machine.md"),
            plot_bandwidth(machine, out / "bandwidth.png")]


def hardware_counters_status() -> str:
    """Whether Linux perf can count this process's instructions (it cannot in most VMs)."""
    import shutil
    import subprocess

    perf = shutil.which("perf")
    if perf is None:
        return "unavailable: `perf` is not installed; bytes are compulsory traffic from tensor sizes"
    try:
        proc = subprocess.run([perf, "stat", "-x,", "-e", "instructions:u", "true"],
                              capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable: perf failed ({exc}); bytes are compulsory traffic from tensor sizes"
    if "not supported" in proc.stderr or "not counted" in proc.stderr or proc.returncode != 0:
        return ("unavailable: perf reports the PMU events as not supported (virtual machine without "
                "a virtual PMU); bytes are compulsory traffic from tensor sizes")
    return "perf can count instructions here, but per-stage counter collection is not wired; " \
           "bytes are compulsory traffic from tensor sizes"


def app_roofline(profiles: Sequence[StageProfile], machine: dict[str, Any], out: Path, *,
                 device: str, precision: str, config: str, event: str, repeats: int = 3, warmup: bool = True,
                 n_hits: int | None = None, hits: str | None = None, single_run: bool = False,
                 track_builder: str | None = None,
                 ncu_stages: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Decide the bounds of profiled stages, write ``app.json``, ``app.md`` and the two roofline PNGs.

    ``profiles`` come from :func:`~trackgnn.profiling.profile_chain` (the trained chain) or
    :func:`~trackgnn.profiling.profile_stages`; ``repeats``, ``warmup`` and ``single_run``
    say how they were timed.  ``n_hits`` and ``hits`` (e.g. "hard cuts: pt > 1 GeV, noise
    removed") record which hits of ``event`` the pipeline ran on, ``track_builder`` its
    track-building method.
    """
    launch_s = launch_overhead(device)
    stage_dicts = [p.to_dict() for p in profiles]
    for s in stage_dicts:
        if ncu_stages and s["name"] in ncu_stages:
            s["ncu"] = ncu_stages[s["name"]]
            s["bytes_by_level"] = ncu_stages[s["name"]]["bytes_by_level"]
    app = {
        "config": config, "event": event, "n_hits": n_hits, "hits": hits, "track_builder": track_builder,
        "device": device, "precision": precision,
        "machine_key": machine["key"], "launch_overhead_s": launch_s,
        "timing": ("one cold run, under the profiler" if single_run else
                   f"median of {repeats} runs" + (" after a warm-up run" if warmup else "")) + "; " + REFERENCE_FORWARD,
        "hardware_counters": "Nsight Compute (per level)" if ncu_stages else hardware_counters_status(),
        "stages": stage_dicts,
        "verdicts": stage_verdicts(stage_dicts, machine, launch_s, precision),
    }
    write_json(app, out / "app.json")
    write_text(app_markdown(app), out / "app.md")
    plot_hierarchical_roofline(machine, stage_dicts, out / "roofline_hierarchical.png")
    plot_time_roofline(machine, stage_dicts, launch_s, out / "roofline_time.png")
    return app
