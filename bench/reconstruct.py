"""Seconds per full event, per stage, of the trained chain as ``trackgnn reconstruct`` runs it.

The chain (hits and cells in, no truth) runs on complete simulated events twice in this one
invocation: the baseline (FP32 everywhere) and the optimised path (the networks under BF16
autocast on CPUs with native BF16, or whatever ``--precision`` names); the per-stage medians and
their ratios are printed.  The first event of each setting is a warm-up and is not counted.

    python bench/reconstruct.py                                   # configs/gnn.yaml, its test events
    python bench/reconstruct.py --config configs/gnn.yaml --data data/simulated --events 5
    python bench/reconstruct.py --json bench/results/reconstruct.json
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path


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


def measure(config: str, events: list, precision: str, device: str) -> dict:
    """Median seconds per step over ``events[1:]`` (``events[0]`` warms up)."""
    from trackgnn.pipeline import InferenceChain

    chain = InferenceChain(config, device=device, precision=precision)
    steps: dict[str, list[float]] = {}
    walls = []
    for k, (event_id, hits, cells) in enumerate(events):
        start = time.perf_counter()
        result = chain.run(event_id, hits, cells)
        wall = time.perf_counter() - start
        if k == 0:
            continue
        walls.append(wall)
        for step, seconds in result.seconds.items():
            steps.setdefault(step, []).append(seconds)
    out = {step: statistics.median(values) for step, values in steps.items()}
    out["total (wall)"] = statistics.median(walls)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/gnn.yaml")
    parser.add_argument("--data", default=None, help="TrackML directory (default: the config's test events)")
    parser.add_argument("--events", type=int, default=3, help="events measured (plus one warm-up)")
    parser.add_argument("--precision", default="bf16", help="the optimised path's precision")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()

    from trackgnn.pipeline import InferenceChain

    chain = InferenceChain(args.config, device=args.device)
    events = _events(chain, args.data, args.events)
    del chain
    n_hits = [len(hits) for _, hits, _ in events[1:]]
    print(f"{len(events) - 1} events measured (+1 warm-up), {statistics.mean(n_hits):.0f} hits per event on average")
    baseline = measure(args.config, events, "fp32", args.device)
    optimised = measure(args.config, events, args.precision, args.device)
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{'step':<18}{'fp32 [s]':>10}{args.precision + ' [s]':>10}{'ratio':>8}")
    for step in baseline:
        ratio = baseline[step] / optimised[step] if optimised.get(step) else float("nan")
        print(f"{step:<18}{baseline[step]:>10.3f}{optimised.get(step, float('nan')):>10.3f}{ratio:>7.2f}x")
    print(f"peak RSS of this process: {peak_gb:.2f} GB")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"events": [e for e, _, _ in events[1:]], "n_hits": n_hits,
                                               "fp32": baseline, args.precision: optimised,
                                               "peak_rss_gb": peak_gb}, indent=1) + "\n")


if __name__ == "__main__":
    main()
