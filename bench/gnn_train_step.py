"""Benchmark a GNN training step: the numba training paths vs PyG's scatter and torch's gathers, same run.

On the GNN stage's training events (complete events, the config's ``train_sectors`` sectors),
the training step the trainer runs (sector, forward with triplets, both losses, backward) is
timed with the fast CPU paths (default: :class:`~trackgnn.models._segment_aggregate.Adjacency`
aggregating in the forward and the backward; the edge networks' first layers split by block, their
gathers passing the gradient back with the segment-sum kernel) and with the reference
(``fast_inference(False)``: PyG's ``propagate``, MLPs over concatenated gathered rows), interleaved,
on the same sectors from the same weights.  Prints median
seconds per step and the ratio, and checks both give the same loss and gradients.
``--baseline per-sector`` times instead, both on the fast paths, the step as it ran before each
event's inputs were computed once (:meth:`~trackgnn.gnn.GNNTask.training_view`): the sector cut
from the whole event and its edge features, truth and positions computed for every sector.

    cd <project with configs/ and runs/filter> && python bench/gnn_train_step.py --config configs/gnn.yaml
    python bench/gnn_train_step.py --config configs/gnn.yaml --events 4 --steps 16 --repeats 3
    python bench/gnn_train_step.py --baseline per-sector
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


def training_events(config_path: str, n_events: int | None):
    """(config, task, events): the stage's task, freshly initialised, and its first ``n_events``
    training events (None: all of them)."""
    import torch

    from trackgnn.stages import load_stage_config

    stage, config = load_stage_config(config_path)
    module = stage.data_module(config)
    events = [stage.prepare_event(config, module.load(path)) for path in module.files("train")[:n_events]]
    torch.manual_seed(config.seed)
    return config, stage.build_task(config), events


def per_sector_step(task, model, event, generator):
    """The training step as it ran before :meth:`~trackgnn.gnn.GNNTask.training_view`: the sector
    cut from the whole event, its edge features, truth and positions computed for the sector."""
    from trackgnn.processing import random_sector

    sector = task.training_view(random_sector(event, task.config.train_sectors, generator), keep=False)
    return task.sector_loss(model, sector, generator)


def step_times(task, events, steps: int, seed: int, fast: bool,
               per_sector: bool = False) -> tuple[list[float], list[float]]:
    """Seconds of each of ``steps`` training steps (no weight update: both paths do the same work),
    and each step's loss."""
    import torch

    from trackgnn.models import fast_inference

    generator = torch.Generator().manual_seed(seed)
    model = task.model.train()
    times, losses = [], []
    step = (lambda *args: per_sector_step(task, *args)) if per_sector else task.training_step
    with fast_inference(fast):
        for k in range(steps):
            model.zero_grad(set_to_none=True)
            start = time.perf_counter()
            loss = step(model, events[k % len(events)], generator)
            loss.backward()
            times.append(time.perf_counter() - start)
            losses.append(float(loss.detach()))
    return times, losses


def gradients(task, event, fast: bool) -> list:
    import torch

    from trackgnn.models import fast_inference

    task.model.zero_grad(set_to_none=True)
    with fast_inference(fast):
        task.training_step(task.model.train(), event, torch.Generator().manual_seed(1)).backward()
    return [p.grad.clone() for p in task.model.parameters() if p.grad is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/gnn.yaml")
    parser.add_argument("--events", type=int, default=4, help="training events the steps cycle over")
    parser.add_argument("--steps", type=int, default=16, help="steps per path per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline", choices=("reference", "per-sector"), default="reference",
                        help="reference: PyG scatter and torch gathers; per-sector: the step's inputs "
                             "recomputed for every sector (fast kernels in both)")
    parser.add_argument("--out", default="bench/results/gnn_train_step.json")
    args = parser.parse_args()

    import torch
    import torch.utils.deterministic as torch_deterministic

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)  # as the trainer runs (deterministic: true)
    torch_deterministic.fill_uninitialized_memory = False
    config, task, events = training_events(args.config, args.events)
    per_sector = args.baseline == "per-sector"
    if per_sector:
        baseline_losses = step_times(task, events, 4, 7, True, per_sector=True)[1]
        cached_losses = step_times(task, events, 4, 7, True)[1]
        worst = max(abs(a - b) / abs(b) for a, b in zip(cached_losses, baseline_losses))
    else:
        reference = gradients(task, events[0], fast=False)
        fast = gradients(task, events[0], fast=True)
        worst = max(float((a - b).abs().max() / b.abs().max().clamp_min(1e-12)) for a, b in zip(fast, reference))
    step_times(task, events, 2, 0, True)  # compile / load the kernels
    results = {"fast": [], "reference": []}
    losses = {}
    for repeat in range(args.repeats):
        for name in ("reference", "fast"):
            times, losses[name] = step_times(task, events, args.steps, repeat, per_sector or name == "fast",
                                             per_sector=per_sector and name == "reference")
            results[name].extend(times)
    median = {name: statistics.median(times) for name, times in results.items()}
    loss_gap = max(abs(a - b) for a, b in zip(losses["fast"], losses["reference"]))
    summary = {
        "config": args.config, "threads": args.threads, "events": args.events, "baseline": args.baseline,
        "steps": args.steps * args.repeats, "train_sectors": config.train_sectors,
        "median_step_seconds": median, "speedup": median["reference"] / median["fast"],
        ("max_relative_loss_difference" if per_sector else "max_relative_gradient_difference"): worst,
        "max_loss_difference": loss_gap,
    }
    print(f"GNN training step ({config.train_sectors} sectors, {args.threads} threads, "
          f"{summary['steps']} steps per path, median):")
    if per_sector:
        print(f"  baseline (inputs per sector)             {median['reference']:.4f} s")
        print(f"  inputs once per event                    {median['fast']:.4f} s   {summary['speedup']:.2f}x")
        print(f"  same result: max loss difference {loss_gap:.2e} (first steps from one initialisation: "
              f"relative {worst:.2e})")
    else:
        print(f"  reference (PyG scatter, torch gathers)  {median['reference']:.4f} s")
        print(f"  fast (numba kernels, split layers)      {median['fast']:.4f} s   "
              f"{summary['speedup']:.2f}x")
        print(f"  same result: max loss difference {loss_gap:.2e}, max relative gradient difference {worst:.2e}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
