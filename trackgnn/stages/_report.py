"""Text and JSON renderings of stage results (used by the CLI)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from trackgnn.ratios import percent

__all__ = ["format_edge_metrics", "format_train_result", "update_metrics_json"]


def format_edge_metrics(metrics: dict, title: str = "") -> str:
    """A table of :func:`trackgnn.graph.summarize_edge_counts` output: overall and per pT bin."""
    lines = [title] if title else []
    lines.append(f"  {'pT bin [GeV]':<14}{'eff %':>8}{'pur %':>8}{'degree':>8}{'edges/evt':>11}"
                 f"{'truth edges':>13}")
    rows = [("all", metrics["overall"])] + [
        (f"{b['pt_min']:g}-{b['pt_max']:g}" if math.isfinite(b["pt_max"]) else f"> {b['pt_min']:g}", b)
        for b in metrics["pt_bins"]
    ]
    for label, m in rows:
        degree = "n/a" if math.isnan(m["mean_degree"]) else f"{m['mean_degree']:.2f}"
        lines.append(f"  {label:<14}{percent(m['efficiency']):>8}{percent(m['purity']):>8}{degree:>8}"
                     f"{m['edges_per_event']:>11.0f}{m['truth_edges']:>13d}")
    return "\n".join(lines)


def format_train_result(result: dict) -> str:
    """One-paragraph summary of :meth:`trackgnn.stages.Stage.train` output."""
    best = next((h for h in result["history"] if h["epoch"] == result["best_epoch"]), {})
    shown = "  ".join(f"{k} {v:.4g}" for k, v in best.items() if k not in ("epoch", "lr", "seconds"))
    return (f"{result['stage']}: best epoch {result['best_epoch']} of {result['epochs']} "
            f"({result['monitor']} = {result['best_value']:.4g}){' - stopped early' if result['stopped_early'] else ''}\n"
            f"  validation: {shown}")


def update_metrics_json(stage_dir: str | Path, key: str, value: dict) -> Path:
    """Set ``key`` in ``stage_dir/metrics.json`` (atomically, keeping other keys)."""
    from trackgnn.io import atomic_path

    path = Path(stage_dir) / "metrics.json"
    data = {}
    if path.is_file():
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError:
            data = {}
    data[key] = value
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, allow_nan=True, default=float) + "\n")
    return path
