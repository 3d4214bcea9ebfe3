"""The trained pipeline, profiled step by step through the chain's own hook.

The roofline profiles :class:`trackgnn.pipeline.InferenceChain`, the chain
``trackgnn reconstruct`` runs (the GNN config's ``upstream`` stages, the GNN, the
configured track builder), on one held-out test event.  :class:`ChainProfiler` is the
chain's step hook: it profiles each step where the chain runs it
(:func:`~trackgnn.profiling.profile_stage`) and pairs it with the step's cost model
(:mod:`._step_costs`), so the steps, their names, their order and the track builder are
those of ``reconstruct``'s ``timing.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from trackgnn.errors import ConfigError, MissingInputError
from trackgnn.profiling._app import Stage, StageProfile, profile_stage
from trackgnn.profiling._step_costs import step_cost
from trackgnn.stages import Step

__all__ = ["ChainProfile", "ChainProfiler", "describe_hits", "load_chain_event", "profile_chain"]


def describe_hits(cuts, hard_cuts: bool) -> str:
    """Which hits the chain runs on: "all hits", or the hard cuts ``cuts`` applied when ``hard_cuts``."""
    if not hard_cuts or cuts is None or not cuts.active:
        return "all hits"
    which = [f"pT >= {cuts.pt_min:g} GeV"] if cuts.pt_min > 0 else []
    which += ["noise removed"] if cuts.remove_noise else []
    which += [f">= {cuts.min_hits} hits per particle"] if cuts.min_hits > 0 else []
    which += [f"|eta| <= {cuts.eta_max:g}"] if cuts.eta_max is not None else []
    return "hard cuts: " + ", ".join(which)


def load_chain_event(config_path: str | Path, device: str, event_index: int = 0) -> tuple[Any, tuple]:
    """The trained chain of GNN config ``config_path`` and held-out test event number
    ``event_index`` as ``(event_id, hits, cells, particles, truth)``.

    Raises
    ------
    MissingInputError
        The config does not exist (the message names the train command).
    ConfigError
        The config is not a GNN stage config, or there is no such test event.
    CheckpointError
        A stage of the chain has no trained checkpoint (the message names the train command).
    """
    from trackgnn.config import load_yaml
    from trackgnn.pipeline import InferenceChain, default_test_events, iter_raw_events

    config_path = Path(config_path)
    if not config_path.is_file():
        raise MissingInputError(
            f"roofline app: config {config_path} does not exist; the application roofline profiles the "
            f"trained pipeline: create the stage configs and run `trackgnn train {config_path}` first")
    stage = load_yaml(config_path).get("stage")
    if stage != "gnn":
        raise ConfigError(f"{config_path}: the roofline profiles the chain `trackgnn reconstruct` runs; "
                          f"pass its gnn stage config (this one is stage {stage!r})")
    chain = InferenceChain(config_path, device=device)
    raw_dir, ids = default_test_events(chain)
    if event_index >= len(ids):
        raise ConfigError(f"--event {event_index}: the chain has {len(ids)} held-out test events in {raw_dir}")
    return chain, next(iter(iter_raw_events(raw_dir, [ids[event_index]])))


class ChainProfiler:
    """A :data:`~trackgnn.stages.StepHook` that profiles every step it runs (in ``profiles``)."""

    def __init__(self, device: str, repeats: int = 3, warmup: bool = True, single_run: bool = False,
                 progress: Callable[[str], None] = lambda _s: None) -> None:
        self.device, self.repeats, self.warmup, self.single_run = device, repeats, warmup, single_run
        self.progress = progress
        self.profiles: list[StageProfile] = []

    def __call__(self, step: Step, item: Any) -> Any:
        self.progress(step.name)
        profile, output = profile_stage(Stage(step.name, step.run, step_cost(step)), item, self.device,
                                        self.repeats, warmup=self.warmup, single_run=self.single_run)
        self.profiles.append(profile)
        return output


@dataclass
class ChainProfile:
    """The profiled chain on one event: per-step profiles in run order and what ran."""

    profiles: list[StageProfile]
    event: str
    n_hits: int
    hits: str
    track_builder: str
    step_names: list[str] = field(default_factory=list)


def profile_chain(config_path: str | Path, device: str, event_index: int = 0, hard_cuts: bool = True, *,
                  repeats: int = 3, warmup: bool = True, single_run: bool = False,
                  progress: Callable[[str], None] = lambda _s: None) -> ChainProfile:
    """Run the trained chain of ``config_path`` on held-out test event ``event_index`` with a
    :class:`ChainProfiler` as its step hook.

    With ``hard_cuts`` (default) the truth first removes the hits failing the chain's training
    hard cuts (as ``trackgnn evaluate --hard-cuts`` does) and the chain runs on the rest;
    without, on every hit (as ``trackgnn reconstruct``).
    """
    from trackgnn.pipeline import hard_cut_hits
    from trackgnn.training import resolve_device

    device = resolve_device(device)
    chain, (event_id, hits, cells, particles, truth) = load_chain_event(config_path, device, event_index)
    if hard_cuts:
        _, hits, cells = hard_cut_hits(hits, cells, particles, truth, chain.hard_cuts)
    profiler = ChainProfiler(device, repeats, warmup, single_run, progress)
    result = chain.run(event_id, hits, cells, hook=profiler)
    n_hits = 0 if result.data is None else int(result.data.num_nodes)
    return ChainProfile(profiler.profiles, f"event{event_id:09d}", n_hits, describe_hits(chain.hard_cuts, hard_cuts),
                        chain.track_builder, chain.step_names)
