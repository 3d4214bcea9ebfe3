"""Benchmark training epochs with the heap kept (``retain_freed_memory``) against glibc's defaults.

The trainer raises glibc's ``malloc`` thresholds (:mod:`trackgnn.training._heap`) so that the
tensors a step frees are reused by the next one instead of being mapped afresh.  ``malloc``'s
settings are per process, so each side runs in its own child process (``TRACKGNN_MALLOC=system``
for the baseline), the two alternating ``--rounds`` times in this one invocation; each child runs
one warm-up epoch and ``--epochs`` timed epochs of the stage's training steps (sector, forward,
losses, backward, AdamW step: what ``Trainer`` runs, without validation and checkpoints) on the
stage's training events.  Prints median seconds per epoch, minor page faults and system CPU
seconds per epoch, peak RSS, and the ratio.

    cd <project with configs/ and runs/filter> && python bench/train_heap.py --config configs/gnn.yaml
    python bench/train_heap.py --config configs/filter.yaml --epochs 8 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = "--child"


def child(config_path: str, n_events: int, epochs: int, threads: int) -> None:
    """Time ``epochs`` training epochs; print one JSON line."""
    import resource
    import time

    import torch
    import torch.utils.deterministic as torch_deterministic

    from gnn_train_step import training_events  # this directory: the stage's task and training events

    from trackgnn.training._heap import retain_freed_memory

    applied = retain_freed_memory()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)  # as the trainer runs (deterministic: true)
    torch_deterministic.fill_uninitialized_memory = False
    config, task, events = training_events(config_path, n_events or None)
    model = task.model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.training.lr,
                                  weight_decay=config.training.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)

    def epoch() -> float:
        start = time.perf_counter()
        for event in events:
            optimizer.zero_grad(set_to_none=True)
            task.training_step(model, event, generator).backward()
            optimizer.step()
        return time.perf_counter() - start

    epoch()  # warm-up: numba compilation, first allocations
    before = resource.getrusage(resource.RUSAGE_SELF)
    seconds = [epoch() for _ in range(epochs)]
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"retained": applied, "epoch_seconds": seconds, "events": len(events),
                      "minor_faults": (after.ru_minflt - before.ru_minflt) / epochs,
                      "system_seconds": (after.ru_stime - before.ru_stime) / epochs,
                      "user_seconds": (after.ru_utime - before.ru_utime) / epochs,
                      "peak_rss_gb": after.ru_maxrss / 2**20}))


def run_child(args: argparse.Namespace, malloc: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TRACKGNN_MALLOC"}
    if malloc:
        env["TRACKGNN_MALLOC"] = malloc
    done = subprocess.run([sys.executable, __file__, _CHILD, args.config, str(args.events), str(args.epochs),
                           str(args.threads)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"child process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/gnn.yaml")
    parser.add_argument("--events", type=int, default=0, help="training events per epoch (0: the stage's all)")
    parser.add_argument("--epochs", type=int, default=4, help="timed epochs per child (after one warm-up)")
    parser.add_argument("--rounds", type=int, default=2, help="child processes per side, alternating")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="bench/results/train_heap.json")
    args = parser.parse_args()

    runs: dict[str, list[dict]] = {"glibc defaults": [], "retained": []}
    for _ in range(args.rounds):
        runs["glibc defaults"].append(run_child(args, "system"))
        runs["retained"].append(run_child(args, None))
    if not all(run["retained"] for run in runs["retained"]):
        sys.exit("retain_freed_memory() did not apply here (no glibc?): nothing to compare")

    def summary(side: list[dict]) -> dict:
        return {"median_epoch_seconds": statistics.median(s for run in side for s in run["epoch_seconds"]),
                **{key: statistics.mean(run[key] for run in side)
                   for key in ("minor_faults", "system_seconds", "user_seconds", "peak_rss_gb")}}

    results = {name: summary(side) for name, side in runs.items()}
    base, kept = results["glibc defaults"], results["retained"]
    n_events = runs["retained"][0]["events"]
    print(f"{args.config}: {n_events} training events per epoch, {args.epochs} epochs x {args.rounds} processes per "
          f"side, {args.threads} threads")
    print(f"{'':<16}{'s / epoch':>11}{'faults / epoch':>16}{'system s / epoch':>18}{'peak RSS GB':>13}")
    for name, row in results.items():
        print(f"{name:<16}{row['median_epoch_seconds']:>11.3f}{row['minor_faults']:>16.0f}"
              f"{row['system_seconds']:>18.2f}{row['peak_rss_gb']:>13.2f}")
    ratio = base["median_epoch_seconds"] / kept["median_epoch_seconds"]
    print(f"ratio (glibc defaults / retained): {ratio:.2f}x")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"config": args.config, "events": n_events, "epochs": args.epochs,
                                          "rounds": args.rounds, "threads": args.threads, **results,
                                          "ratio": ratio, "runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == _CHILD:
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
