"""Markdown reports: the machine's ceilings and the application's verdicts.

Every number in the markdown is read from the JSON written beside it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["machine_markdown", "app_markdown"]


def _g(x: float | None, fmt: str = "{:.1f}") -> str:
    return "n/a" if x is None else fmt.format(x)


def machine_markdown(machine: dict[str, Any]) -> str:
    """Ceilings with their theoretical values and ratios, the bandwidth ladder and copy baselines."""
    c = machine["ceilings"]
    lines = [f"# Machine ceilings: `{machine['key']}`", "",
             f"device `{machine['device']}`, {'quick' if machine['quick'] else 'full'} sweep, "
             f"{machine['elapsed_s']:.1f} s; other processes used "
             f"{_g((machine.get('other_processes_cpu_fraction') or 0) * 100, '{:.0f}')} % of the CPUs meanwhile.",
             ""]
    if (machine.get("other_processes_cpu_fraction") or 0) > 0.15:
        lines += ["> **Warning**: other processes were busy during the sweep; multi-core ceilings are "
                  "understated. Re-run on a quiet machine (`--refresh`).", ""]
    lines += ["## Compute (vector FMA, ERT kernel)", "",
              "| precision | threads | GFLOP/s | best K | theoretical | ratio |", "|---|---|---|---|---|---|"]
    for prec, modes in c["compute"].items():
        for mode, v in modes.items():
            if isinstance(v, dict):
                lines.append(f"| {prec} | {mode} | {v['gflops']:.1f} | {v['best_k']} | "
                             f"{_g(v.get('theoretical_gflops'))} | {_g(v.get('ratio'), '{:.2f}')} |")
    lines += [f"\n{note}" for note in c.get("notes", [])]
    lines += ["", "## Matrix unit (GEMM)", "", "| precision | n | GFLOP/s | theoretical | ratio |", "|---|---|---|---|---|"]
    for prec, v in c["gemm"].items():
        lines.append(f"| {prec} | {v['n']} | {v['gflops']:.1f} | {_g(v.get('theoretical_gflops'))} | "
                     f"{_g(v.get('ratio'), '{:.2f}')} |")
    lines += ["", "## Memory levels (ERT K=1, read + write)", "",
              "| threads | level | GB/s | working set (bytes) | capacity | plateau |", "|---|---|---|---|---|---|"]
    for mode, mem in c["memory"].items():
        for name, lvl in mem["levels"].items():
            span = f"{lvl['from_bytes']:.3g}-{lvl['to_bytes']:.3g}" if "from_bytes" in lvl else lvl.get("note", "")
            plateau = (lvl.get("plateau") or {}).get("name") or "-"
            lines.append(f"| {mode} | {name} | {lvl['gbs']:.1f} | {span} | {_g(lvl.get('capacity_bytes'), '{:.3g}')} "
                         f"| {plateau} |")
    lines += ["", "## Large-array baselines", "",
              "| threads | in-place GB/s | copy GB/s | DRAM plateau GB/s | DRAM / in-place | DRAM / copy |",
              "|---|---|---|---|---|---|"]
    for mode, v in c["copy"].items():
        lines.append(f"| {mode} | {v['inplace_gbs']:.1f} | {v['copy_gbs']:.1f} | {_g(v['dram_plateau_gbs'])} | "
                     f"{_g(v['dram_over_inplace'], '{:.2f}')} | {_g(v['dram_over_copy'], '{:.2f}')} |")
    lines += ["", "In-place (`a.mul_(1)`) moves exactly the ERT kernel's traffic; `copy_` also reads the "
              "destination (write-allocate) without counting it, so it reports less.", "",
              "![bandwidth against working set](bandwidth.png)", ""]
    return "\n".join(lines)


def app_markdown(app: dict[str, Any]) -> str:
    """Per-stage table (time, FLOPs, bytes, intensity, bound, fraction of roof, speed-up) and top operators."""
    lines = [f"# Application roofline: `{app['config']}`", "",
             f"device `{app['device']}`, event `{app.get('event', '?')}`{_hits(app)}, machine `{app['machine_key']}`; "
             + (f"track builder `{app['track_builder']}`; " if app.get("track_builder") else "") +
             f"launch/dispatch cost {app['launch_overhead_s'] * 1e6:.1f} us per operator (measured); "
             f"stage times: {app.get('timing', 'median of timed runs')}.", "",
             f"hardware counters: {app.get('hardware_counters', 'not used')}", "",
             "| stage | time (ms) | GFLOP | MB | FLOP/B | GFLOP/s | GB/s | bound | fraction of roof | speed-up available "
             "| regime |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    verdicts = {v["stage"]: v for v in app["verdicts"]}
    for s in app["stages"]:
        v = verdicts[s["name"]]
        lines.append(f"| {s['name']} | {s['time_s'] * 1e3:.2f} | {s['flops'] / 1e9:.3f} | {s['bytes'] / 1e6:.2f} | "
                     f"{s['intensity']:.2f} | {s['gflops']:.2f} | {s['gbs']:.2f} | {v['bound']} | "
                     f"{_ge(v)}{v['fraction_of_roof']:.3f} | {_le(v)}{v['speedup_available']:.1f}x | {v['regime']} |")
    lines += ["", "## Verdicts", ""]
    for v in app["verdicts"]:
        lines.append(f"- **{v['stage']}**: bounded by {v['bound']}; it reaches {_ge(v)}{v['fraction_of_roof']:.1%} of "
                     f"that roof, so {_le(v)}{v['speedup_available']:.1f}x is available if it ran at the roof "
                     f"({v['regime']})." + (f" {v['lower_bound']}: the fraction is a lower bound, the speed-up an "
                                            "upper bound." if v.get("lower_bound") else ""))
    lines += ["", "![hierarchical roofline](roofline_hierarchical.png)", "",
              "![time-based roofline](roofline_time.png)", ""]
    lines += ["", "FLOPs and bytes are exact analytic counts (FMA = 2 FLOPs; compulsory traffic; a KD-tree search "
              "counts only its provable work, a lower bound marked ≥); "
              "`torch.utils.flop_counter` sees only the matmul part:", "",
              "| stage | analytic GFLOP | of which matmul | flop_counter GFLOP |", "|---|---|---|---|"]
    for s in app["stages"]:
        lines.append(f"| {s['name']} | {s['flops'] / 1e9:.3f} | {s['matmul_flops'] / 1e9:.3f} | "
                     f"{s['torch_flop_counter_flops'] / 1e9:.3f} |")
    lines += ["", "## Per stage: analytic kernels, profiled operators (and ncu kernels on a GPU)", ""]
    for s in app["stages"]:
        lines += [f"### {s['name']}", "", "| analytic kernel | GFLOP | MB | FLOP/B |", "|---|---|---|---|"]
        for part in _top_parts(s["cost"]):
            lines.append(f"| {part['name']} | {part['flops'] / 1e9:.4f} | {part['bytes'] / 1e6:.3f} | "
                         f"{_g(part['intensity'], '{:.2f}')} |")
        lines += ["", "| operator | calls | self CPU (ms) | self device (ms) |", "|---|---|---|---|"]
        for op in s["ops"]:
            lines.append(f"| `{op['name']}` | {op['count']} | {op['self_cpu_s'] * 1e3:.2f} | "
                         f"{op['self_device_s'] * 1e3:.2f} |")
        if s.get("ncu"):
            lines += ["", "| ncu kernel | time (us) | GFLOP | L1 MB | L2 MB | HBM MB |", "|---|---|---|---|---|---|"]
            for k in s["ncu"].get("kernels", []):
                b = k["bytes_by_level"]
                lines.append(f"| `{k['name'][:60]}` | {k['time_s'] * 1e6:.1f} | {k['flops'] / 1e9:.4f} | "
                             + " | ".join(f"{b.get(lvl, 0) / 1e6:.2f}" for lvl in ("L1", "L2", "HBM")) + " |")
        lines.append("")
    return "\n".join(lines)


def _ge(verdict: dict[str, Any]) -> str:
    """"≥" before a fraction of roof computed from lower-bound FLOPs."""
    return "≥" if verdict.get("lower_bound") else ""


def _le(verdict: dict[str, Any]) -> str:
    return "≤" if verdict.get("lower_bound") else ""


def _hits(app: dict[str, Any]) -> str:
    """", N hits (which)" when the app record says which hits ran."""
    if app.get("n_hits") is None:
        return ""
    return f", {app['n_hits']} hits ({app.get('hits', '?')})"


def _top_parts(cost: dict[str, Any], top: int = 8) -> list[dict[str, Any]]:
    """The leaf components of a stage's analytic cost with the most FLOPs + bytes."""
    leaves, stack = [], [cost]
    while stack:
        node = stack.pop()
        if node["parts"]:
            stack.extend(node["parts"])
        else:
            leaves.append(node)
    merged: dict[str, dict[str, Any]] = {}
    for leaf in leaves:  # the same kernel in every iteration: one row
        row = merged.setdefault(leaf["name"], {"name": leaf["name"], "flops": 0.0, "bytes": 0.0})
        row["flops"] += leaf["flops"]
        row["bytes"] += leaf["bytes"]
    for row in merged.values():
        row["intensity"] = row["flops"] / row["bytes"] if row["bytes"] else None
    return sorted(merged.values(), key=lambda r: -(r["flops"] + r["bytes"]))[:top]
