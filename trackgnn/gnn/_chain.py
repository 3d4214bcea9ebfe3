"""The whole inference chain on raw TrackML events: preprocessing → every stage → tracks."""

from __future__ import annotations

import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from trackgnn.errors import ConfigError

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
        Wall time per step: ``preprocessing``, one entry per stage, ``track_building``.
    edge_counts : dict
        Stage name → :class:`trackgnn.graph.EdgeCounts` of its output graph (with truth only).
    """

    data: Any
    labels: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)
    edge_counts: dict[str, Any] = field(default_factory=dict)


def _checkpoint_override(stage, root: Path) -> None:
    """Read ``stage``'s checkpoints from ``root/<stage name>/`` instead of its stage_dir."""
    stage.checkpoint_dir = types.MethodType(lambda self, config: Path(root) / self.name, stage)


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
        from trackgnn.gnn._bootstrap import upstream_configs
        from trackgnn.stages import load_stage_config
        from trackgnn.training import resolve_device

        gnn_stage, gnn_config = load_stage_config(config_path)
        if gnn_stage.name != "gnn":
            raise ConfigError(f"{config_path}: expected a gnn stage config, got stage {gnn_stage.name!r}")
        self.config = gnn_config
        self.device = resolve_device(device)
        self.stages = [*upstream_configs(gnn_config), (Path(config_path), gnn_stage, gnn_config)]
        self.processes: list[tuple[str, Any, Any, Callable]] = []
        for _, stage, config in self.stages:
            if checkpoint_dir is not None:
                _checkpoint_override(stage, Path(checkpoint_dir))
            with stage.memory_guard(config, "build"):
                self.processes.append((stage.name, stage, config, stage.load_inference(config, self.device)))

    @property
    def hard_cuts(self):
        """The hard cuts of the first stage (what the chain was trained on)."""
        return self.stages[0][2].hard_cuts

    @property
    def stage_names(self) -> list[str]:
        return [name for name, *_ in self.processes]

    def run(self, event_id: int, hits, cells=None, particles=None, truth=None, *,
            hard_cuts: bool = False) -> ChainResult:
        """Reconstruct one event given as TrackML DataFrames (truth optional).

        ``hard_cuts`` applies the first stage's hard cuts first (needs truth): the chain then
        sees the hits it was trained on.  Hits it does not see get label −1.
        """
        import torch

        from trackgnn.processing import apply_hard_cuts, process_event

        path, first, _ = self.stages[0]
        if first.name != "embedding":
            raise ConfigError(f"{self.stages[-1][0]}: the chain starts with the {first.name} stage ({path}), which "
                              "needs a graph; list the embedding and filter configs under upstream to run on hits")
        seconds: dict[str, float] = {}
        counts: dict[str, Any] = {}
        start = time.perf_counter()
        data = process_event(event_id, hits, cells, particles, truth)
        if hard_cuts:
            if truth is None:
                raise ConfigError("hard cuts need the truth: run without them on events that have no truth file")
            data = apply_hard_cuts(data, self.hard_cuts)
        seconds["preprocessing"] = time.perf_counter() - start
        labels = np.full(len(hits), -1, dtype=np.int64)
        if data.num_nodes == 0:
            for name in self.stage_names:
                seconds[name] = 0.0
            seconds["track_building"] = 0.0
            return ChainResult(None, labels, seconds, counts)
        with torch.no_grad():
            for name, stage, config, process in self.processes:
                start = time.perf_counter()
                data = stage.prepare_event(config, data)
                with stage.memory_guard(config, "infer"):
                    if hasattr(process, "run"):
                        data, parts = process.run(data)
                        seconds.update(parts)
                    else:
                        data = process(data)
                        seconds[name] = time.perf_counter() - start
                if truth is not None:
                    counts[name] = stage.event_counts(data)
        row = {hit_id: i for i, hit_id in enumerate(hits["hit_id"].to_numpy().tolist())}
        rows = np.fromiter((row[h] for h in data.hit_id.tolist()), dtype=np.int64, count=int(data.num_nodes))
        labels[rows] = data.track_label.numpy()
        return ChainResult(data, labels, seconds, counts)
