"""The whole inference chain on raw TrackML events: preprocessing → every stage → tracks."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trackgnn.errors import ConfigError
from trackgnn.stages import Step, StepHook, TrainedStage, run_step

__all__ = ["ChainResult", "InferenceChain"]


@dataclass
class ChainResult:
    """One event through the chain.

    Attributes
    ----------
    data : Data or None
        The GNN stage's output event (None for an event without hits).
    labels : ndarray
        (n_hits,) track label per row of the input hits; −1 for hits in no track
        (including hits removed by hard cuts).
    seconds : dict
        Wall time per step (:attr:`InferenceChain.step_names`): ``preprocessing``, then each
        stage's steps (``embedding``, ``graph_building``, ``filter``, ``gnn``, ``track_building``).
    edge_counts : dict
        Stage name → :class:`trackgnn.graph.EdgeCounts` of its output graph (with truth only).
    """

    data: Any
    labels: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)
    edge_counts: dict[str, Any] = field(default_factory=dict)


class InferenceChain:
    """The trained stages of a GNN config (its ``upstream`` stages, then the GNN), ready to run.

    Parameters
    ----------
    config_path : path
        The GNN stage YAML.
    checkpoint_dir : path, optional
        Read each stage's ``best.pt`` from ``checkpoint_dir/<stage>/`` (embedding, filter,
        gnn) instead of ``<stage_dir>/checkpoints/``.
    device : str
        ``cpu``, ``cuda`` or ``auto``.

    Raises
    ------
    CheckpointError
        A stage has no (or a corrupt, or a mismatching) checkpoint; the message says which
        command trains it.
    """

    def __init__(self, config_path: str | Path, *, checkpoint_dir: str | Path | None = None,
                 device: str = "auto") -> None:
        from trackgnn.pipeline._bootstrap import upstream_configs
        from trackgnn.stages import load_stage_config
        from trackgnn.training import resolve_device

        gnn_stage, gnn_config = load_stage_config(config_path)
        if gnn_stage.name != "gnn":
            raise ConfigError(f"{config_path}: expected a gnn stage config, got stage {gnn_stage.name!r}")
        self.config = gnn_config
        self.device = resolve_device(device)
        self.stages = [*upstream_configs(gnn_config), (Path(config_path), gnn_stage, gnn_config)]
        self.trained: list[TrainedStage] = [
            stage.load_trained(config, self.device, checkpoint=None if checkpoint_dir is None
                               else Path(checkpoint_dir) / stage.name / "best.pt")
            for _, stage, config in self.stages]

    @property
    def hard_cuts(self):
        """The hard cuts of the first stage (what the chain was trained on)."""
        return self.stages[0][2].hard_cuts

    @property
    def stage_names(self) -> list[str]:
        return [trained.name for trained in self.trained]

    @property
    def step_names(self) -> list[str]:
        """``preprocessing``, then every stage's steps, in the order they run (keys of ``seconds``)."""
        return ["preprocessing", *(name for trained in self.trained for name in trained.step_names)]

    @property
    def track_builder(self) -> str:
        """The track-building method of the GNN stage (``tracking.method``)."""
        return self.config.tracking.method

    def run(self, event_id: int, hits, cells=None, particles=None, truth=None, *,
            hard_cuts: bool = False, hook: StepHook = run_step) -> ChainResult:
        """Reconstruct one event given as TrackML DataFrames (truth optional).

        ``hard_cuts`` applies the first stage's hard cuts first (needs truth): the chain then
        sees the hits it was trained on.  Hits it does not see get label −1.  ``hook`` runs
        each step (:data:`~trackgnn.stages.StepHook`; the roofline profiles through it);
        the chain times every call.
        """
        from trackgnn.processing import apply_hard_cuts, process_event

        seconds: dict[str, float] = {}
        counts: dict[str, Any] = {}

        def timed(step: Step, item: Any) -> Any:
            start = time.perf_counter()
            out = hook(step, item)
            seconds[step.name] = time.perf_counter() - start
            return out

        def preprocess(frames: tuple) -> Any:
            data = process_event(event_id, *frames)
            if hard_cuts:
                if truth is None:
                    raise ConfigError("hard cuts need the truth: run without them on events that have no truth file")
                data = apply_hard_cuts(data, self.hard_cuts)
            return data

        data = timed(Step("preprocessing", preprocess), (hits, cells, particles, truth))
        labels = np.full(len(hits), -1, dtype=np.int64)
        if data.num_nodes == 0:
            seconds.update(dict.fromkeys(self.step_names[1:], 0.0))
            return ChainResult(None, labels, seconds, counts)
        for trained in self.trained:
            data = trained(data, hook=timed)
            if truth is not None:
                counts[trained.name] = trained.event_counts(data)
        row = {hit_id: i for i, hit_id in enumerate(hits["hit_id"].to_numpy().tolist())}
        rows = np.fromiter((row[h] for h in data.hit_id.tolist()), dtype=np.int64, count=int(data.num_nodes))
        labels[rows] = data.track_label.numpy()
        return ChainResult(data, labels, seconds, counts)
