"""Benchmark: simulator throughput with 1 and 2 worker processes, and score_event on a full event.

Usage::

    python bench/simulate_and_score.py [--events 4] [--pileup 200] [--seed 0] [--json out.json]

Prints events/s (simulate + write the four CSV files) with 1 and with 2
workers and their ratio (the parallel speed-up; about 2 on 2 free cores, less
when other jobs share the machine), the in-process time of ``simulate_event``
alone, and the time of ``trackgnn.evaluation.score_event`` on a full event
with a realistic submission (the truth with 10 % of the hits reassigned).
All numbers come from this run; compare ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from trackgnn.evaluation import score_event
from trackgnn.simulation import SimulationConfig, load_geometry, simulate_dataset, simulate_event


def _events_per_second(n_events: int, config: SimulationConfig, workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        simulate_dataset(Path(tmp), n_events, config, workers=workers, progress=False)
        return n_events / (time.perf_counter() - start)


def _submission(truth: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    track = truth["particle_id"].to_numpy().copy()
    noise = track == 0
    track[noise] = -np.arange(1, noise.sum() + 1)  # one track per noise hit
    moved = rng.random(len(track)) < 0.10
    track[moved] = rng.permutation(track[moved])
    return pd.DataFrame({"hit_id": truth["hit_id"], "track_id": track})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4, help="events per throughput measurement")
    parser.add_argument("--pileup", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this JSON file")
    args = parser.parse_args()
    config = SimulationConfig(seed=args.seed, pileup=args.pileup)

    start = time.perf_counter()
    load_geometry()
    geometry_s = time.perf_counter() - start
    start = time.perf_counter()
    frames = simulate_event(1000, config)
    event_s = time.perf_counter() - start

    rate_1 = _events_per_second(args.events, config, workers=1)
    rate_2 = _events_per_second(args.events, config, workers=2)

    submission = _submission(frames.truth, np.random.default_rng(args.seed))
    score_event(frames.truth, submission)  # warm-up
    repeats = 5
    start = time.perf_counter()
    for _ in range(repeats):
        score = score_event(frames.truth, submission)
    score_s = (time.perf_counter() - start) / repeats

    result = {
        "pileup": args.pileup,
        "events": args.events,
        "hits_per_event": len(frames.hits),
        "particles_per_event": len(frames.particles),
        "geometry_build_s": geometry_s,
        "simulate_event_s": event_s,
        "events_per_s_1_worker": rate_1,
        "events_per_s_2_workers": rate_2,
        "speedup_2_over_1": rate_2 / rate_1,
        "score_event_s": score_s,
        "score": score,
        "score_over_simulate_event": score_s / event_s,
    }
    print(f"full event: {result['hits_per_event']} hits, {result['particles_per_event']} particles "
          f"(pile-up {args.pileup:g})")
    print(f"geometry tables built once per process: {geometry_s:.2f} s")
    print(f"simulate_event (in memory, 1 core):     {event_s:.2f} s/event")
    print(f"simulate + write, 1 worker:             {rate_1:.3f} events/s")
    print(f"simulate + write, 2 workers:            {rate_2:.3f} events/s")
    print(f"ratio 2 workers / 1 worker:             {result['speedup_2_over_1']:.2f}")
    print(f"score_event on the full event:          {score_s * 1000:.0f} ms (score {score:.3f}); "
          f"{result['score_over_simulate_event']:.3f} x simulate_event")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
