"""Seconds per full event, per stage, of the trained chain as ``trackgnn reconstruct`` runs it.

The chain (hits and cells in, no truth) runs on complete simulated events twice in this one
invocation, the two settings alternating event by event (a load that comes and goes hits both):
the baseline (FP32 everywhere) and the optimised path (the networks under BF16 autocast on CPUs
with native BF16, or whatever ``--precision`` names); the per-stage medians and their ratios are
printed.  The first event of each setting is a warm-up and is not counted.

``--compare inference`` compares instead, both in FP32 (or ``--precision``), the networks'
training-time forward (the previous implementation, ``fast_inference(False)``) against their
inference paths (chunked MLPs with split first layers, the graph grouped once for aggregation).
``--compare kernels --precision fp32`` compares the inference paths with ATen's modules only against the
same paths with the numba row kernels (gathered rows added in place, LayerNorm → SiLU fused; FP32 only).
``--compare passes --precision fp32`` compares the chain with its passes after the second left out
(``second_pass.repeats: 0``) against the config's (the third pass's cost).
``--compare gemm --precision fp32`` compares the inference paths' float32 products through ATen's
``linear`` (MKL's SGEMM) against oneDNN's (:mod:`trackgnn.models._dense_linear`).

    python bench/reconstruct.py                                   # configs/gnn.yaml, its test events
    python bench/reconstruct.py --config configs/gnn.yaml --data data/simulated --events 5
    python bench/reconstruct.py --compare inference --precision fp32 --events 3
    python bench/reconstruct.py --compare kernels --precision fp32 --events 3
    python bench/reconstruct.py --compare passes --precision fp32 --events 3
    python bench/reconstruct.py --compare gemm --precision fp32 --events 3
    python bench/reconstruct.py --json bench/results/reconstruct.json
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path
from typing import NamedTuple


class Setting(NamedTuple):
    """How one side of a comparison runs the chain."""

    precision: str
    fast: bool = True  # the networks' inference paths (else their training-time forward)
    kernels: bool = True  # the numba row kernels in those paths (else ATen's modules only)
    repeats: int | None = None  # second_pass.repeats (None: the config's)
    onednn: bool = True  # float32 products through oneDNN where available (else ATen's MKL linear)


def _events(chain, data_dir: str | None, n_events: int):
    from trackgnn.pipeline import default_test_events, iter_raw_events

    if data_dir is None:
        raw_dir, ids = default_test_events(chain)
    else:
        raw_dir, ids = Path(data_dir), None
    events = []
    for k, (event_id, hits, cells, _, _) in enumerate(iter_raw_events(raw_dir, ids)):
        if k > n_events:  # one more: the warm-up
            break
        events.append((event_id, hits, cells))
    return events


def _chain(config: str, device: str, precision: str, repeats: int | None):
    """The trained chain of ``config``; ``repeats``, when not None, replaces ``second_pass.repeats``."""
    import dataclasses

    from trackgnn.pipeline import InferenceChain

    chain = InferenceChain(config, device=device, precision=precision)
    if repeats is not None:
        chain.config = dataclasses.replace(chain.config, second_pass=dataclasses.replace(chain.config.second_pass,
                                                                                         repeats=repeats))
    return chain


def measure(config: str, events: list, settings: dict[str, Setting], device: str) -> dict:
    """Median seconds per step over ``events[1:]`` (``events[0]`` warms up) of each named
    :class:`Setting`, the settings alternating event by event."""
    from trackgnn.models import fast_inference, onednn_linear, row_kernels

    chains = {name: (_chain(config, device, setting.precision, setting.repeats), setting)
              for name, setting in settings.items()}
    steps: dict[str, dict[str, list[float]]] = {name: {} for name in settings}
    walls: dict[str, list[float]] = {name: [] for name in settings}
    for k, (event_id, hits, cells) in enumerate(events):
        for name, (chain, setting) in chains.items():
            with fast_inference(setting.fast), row_kernels(setting.kernels), onednn_linear(setting.onednn):
                start = time.perf_counter()
                result = chain.run(event_id, hits, cells)
                wall = time.perf_counter() - start
            if k == 0:
                continue
            walls[name].append(wall)
            for step, seconds in result.seconds.items():
                steps[name].setdefault(step, []).append(seconds)
    out = {}
    for name in settings:
        out[name] = {step: statistics.median(values) for step, values in steps[name].items()}
        out[name]["total (wall)"] = statistics.median(walls[name])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/gnn.yaml")
    parser.add_argument("--data", default=None, help="TrackML directory (default: the config's test events)")
    parser.add_argument("--events", type=int, default=3, help="events measured (plus one warm-up)")
    parser.add_argument("--precision", default="bf16", help="the optimised path's precision")
    parser.add_argument("--compare", choices=["precision", "inference", "kernels", "passes", "gemm"],
                        default="precision",
                        help="precision: FP32 vs --precision; inference: training-time forward vs inference paths; "
                             "kernels: inference paths with ATen's modules only vs with the numba row kernels; "
                             "passes: two passes (second_pass.repeats 0) vs the config's; "
                             "gemm: float32 products with ATen's linear (MKL) vs oneDNN")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    if args.compare == "precision" and args.precision == "fp32":
        parser.error("--precision fp32 with --compare precision would compare FP32 with itself: name another "
                     "precision (bf16, fp16), or compare FP32 paths with --compare inference / kernels")

    from trackgnn.pipeline import InferenceChain

    chain = InferenceChain(args.config, device=args.device)
    events = _events(chain, args.data, args.events)
    del chain
    n_hits = [len(hits) for _, hits, _ in events[1:]]
    print(f"{len(events) - 1} events measured (+1 warm-up), {statistics.mean(n_hits):.0f} hits per event on average")
    settings = {
        "precision": {"fp32": Setting("fp32"), args.precision: Setting(args.precision)},
        "inference": {"reference": Setting(args.precision, fast=False), "inference": Setting(args.precision)},
        "kernels": {"aten": Setting(args.precision, kernels=False), "kernels": Setting(args.precision)},
        "passes": {"two passes": Setting(args.precision, repeats=0), "config": Setting(args.precision)},
        "gemm": {"mkl": Setting(args.precision, onednn=False), "onednn": Setting(args.precision)},
    }[args.compare]
    results = measure(args.config, events, settings, args.device)
    (base_name, baseline), (opt_name, optimised) = results.items()
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    steps = [*optimised, *(step for step in baseline if step not in optimised)]
    steps.append(steps.pop(steps.index("total (wall)")))
    width = max(len(step) for step in ["step", *steps]) + 2
    print(f"{'step':<{width}}{base_name + ' [s]':>15}{opt_name + ' [s]':>15}{'ratio':>8}")
    nan = float("nan")
    for step in steps:
        ratio = baseline[step] / optimised[step] if optimised.get(step) and step in baseline else nan
        print(f"{step:<{width}}{baseline.get(step, nan):>15.3f}{optimised.get(step, nan):>15.3f}{ratio:>7.2f}x")
    print(f"peak RSS of this process: {peak_gb:.2f} GB")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"events": [e for e, _, _ in events[1:]], "n_hits": n_hits,
                                               "compare": args.compare, **results,
                                               "peak_rss_gb": peak_gb}, indent=1) + "\n")


if __name__ == "__main__":
    main()
