"""The whole inference chain on raw TrackML events: preprocessing → every stage → tracks."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trackgnn.errors import ConfigError
from trackgnn.stages import Step, StepHook, TrainedStage, run_step

__all__ = ["PRECISIONS", "SECOND_PASS_PREFIX", "ChainResult", "InferenceChain", "pass_prefix", "unprefixed_step"]

_LATER_PASS = re.compile(r"pass\d+_")


def pass_prefix(number: int) -> str:
    """Prefix of the step names of pass ``number`` (2: the second pass, 3: the third, ...)."""
    return f"pass{number}_"


#: Prefix of the second pass's step names.
SECOND_PASS_PREFIX = pass_prefix(2)


def unprefixed_step(name: str) -> str:
    """A step name without its later-pass prefix (``pass3_gnn`` → ``gnn``); a later pass's
    ``preprocessing`` (its free hits) is named as the second pass's (``pass2_preprocessing``)."""
    match = _LATER_PASS.match(name)
    if match is None:
        return name
    rest = name[match.end():]
    return f"{SECOND_PASS_PREFIX}{rest}" if rest == "preprocessing" else rest

#: Precisions the chain runs its networks in.
PRECISIONS: tuple[str, ...] = ("fp32", "bf16")


def _to_float32(data) -> None:
    """Stage outputs in FP32 whatever the autocast precision (track builders read them as NumPy)."""
    import torch

    for key in list(data.keys()):
        value = data[key]
        if torch.is_tensor(value) and value.dtype in (torch.bfloat16, torch.float16):
            data[key] = value.float()


@dataclass
class ChainResult:
    """One event through the chain.

    Attributes
    ----------
    data : Data or None
        The GNN stage's output event of the first pass (None for an event without hits).
    labels : ndarray
        (n_hits,) track label per row of the input hits; −1 for hits in no track.
    seconds : dict
        Wall time per step (:attr:`InferenceChain.step_names`): ``preprocessing``, then each
        stage's steps (``embedding``, ``graph_building``, ``filter``, ``gnn``, ``track_building``),
        then with a second pass the same steps prefixed ``pass2_``.
    graphs : dict
        Stage name → (2, E) edges that stage hands on (the GNN: edges above its score cut),
        indexing the rows of the input hits, both passes' edges together; evaluation scores them
        against the truth.
    """

    data: Any
    labels: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)
    graphs: dict[str, Any] = field(default_factory=dict)


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
    precision : {'fp32', 'bf16'}
        ``bf16`` runs the filter and GNN networks under BF16 autocast (the embedding, whose
        distances decide the graph, stays FP32); stage outputs are FP32 either way.

    Raises
    ------
    CheckpointError
        A stage has no (or a corrupt, or a mismatching) checkpoint; the message says which
        command trains it.
    """

    def __init__(self, config_path: str | Path, *, checkpoint_dir: str | Path | None = None,
                 device: str = "auto", precision: str = "fp32") -> None:
        from trackgnn.pipeline._bootstrap import upstream_configs
        from trackgnn.stages import load_stage_config
        from trackgnn.training import resolve_device

        gnn_stage, gnn_config = load_stage_config(config_path)
        if gnn_stage.name != "gnn":
            raise ConfigError(f"{config_path}: expected a gnn stage config, got stage {gnn_stage.name!r}")
        if precision not in PRECISIONS:
            raise ConfigError(f"precision: could not resolve {precision!r} among {list(PRECISIONS)}")
        self.config = gnn_config
        self.device = resolve_device(device)
        self.precision = precision
        self.stages = [*upstream_configs(gnn_config), (Path(config_path), gnn_stage, gnn_config)]
        self.trained: list[TrainedStage] = [
            stage.load_trained(config, self.device, checkpoint=None if checkpoint_dir is None
                               else Path(checkpoint_dir) / stage.name / "best.pt")
            for _, stage, config in self.stages]
        self.second_pass = self._second_pass_stages(checkpoint_dir) if gnn_config.second_pass.enabled else []

    def _second_pass_stages(self, checkpoint_dir: str | Path | None) -> list[TrainedStage]:
        """The trained stages again (:func:`~trackgnn.gnn.second_pass_upstream`: the first pass's embedding
        reused, the filter at the second pass's cut, or with ``second_pass.filter_epochs`` the second
        pass's own, :func:`~trackgnn.gnn.load_second_pass_filter`), then the GNN stage: the first pass's,
        or with ``second_pass.train_epochs`` the second pass's own (:func:`~trackgnn.gnn.load_second_pass`)."""
        from trackgnn.gnn import load_second_pass, load_second_pass_filter, second_pass_upstream

        settings = self.config.second_pass
        tuned_filter = None
        if settings.filter_epochs > 0:
            filter_config = next(stage.config for stage in self.trained if stage.name == "filter")
            tuned_filter = load_second_pass_filter(self.config, filter_config, self.device, checkpoint_dir)
        stages = second_pass_upstream(self.trained, settings, tuned_filter)
        if settings.train_epochs > 0:
            stages[-1] = load_second_pass(self.config, self.device, checkpoint_dir)
        return stages

    def _autocast(self, stage_name: str):
        import contextlib

        import torch

        if self.precision == "fp32" or stage_name == "embedding":
            return contextlib.nullcontext()
        return torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16)

    @property
    def hard_cuts(self):
        """The hard cuts of the first stage (what the chain was trained on)."""
        return self.stages[0][2].hard_cuts

    @property
    def stage_names(self) -> list[str]:
        return [trained.name for trained in self.trained]

    @property
    def later_passes(self) -> list[int]:
        """The numbers of the passes after the first: ``[2]`` with a second pass, ``[2, 3]`` with
        ``second_pass.repeats: 1``, ...; none without."""
        return list(range(2, 3 + self.config.second_pass.repeats)) if self.second_pass else []

    @property
    def step_names(self) -> list[str]:
        """``preprocessing``, then every stage's steps, in the order they run (keys of ``seconds``); with a
        second pass, ``pass2_preprocessing`` (the free hits) and every stage's steps again, prefixed ``pass2_``
        (then ``pass3_``, ... for each of ``second_pass.repeats``)."""
        names = ["preprocessing", *(name for trained in self.trained for name in trained.step_names)]
        for number in self.later_passes:
            prefix = pass_prefix(number)
            names += [f"{prefix}preprocessing", *(f"{prefix}{name}" for trained in self.second_pass
                                                  for name in trained.step_names)]
        if self.config.final_extension.enabled:
            names.append("final_extension")
        return names

    @property
    def track_builder(self) -> str:
        """The track-building method of the GNN stage (``tracking.method``)."""
        return self.config.tracking.method

    def run(self, event_id: int, hits, cells=None, *, hook: StepHook = run_step) -> ChainResult:
        """Reconstruct one event from its hits (and cells, when present).

        This is all the chain ever sees: no truth enters it, so ``trackgnn evaluate`` and
        ``trackgnn reconstruct`` give the same tracks for the same hits.  ``hook`` runs each
        step (:data:`~trackgnn.stages.StepHook`; the roofline profiles through it); the chain
        times every call.
        """
        from trackgnn.processing import process_event

        path, first, _ = self.stages[0]
        if first.name != "embedding":
            raise ConfigError(f"{self.stages[-1][0]}: the chain starts with the {first.name} stage ({path}), which "
                              "needs a graph; list the embedding and filter configs under upstream to run on hits")
        seconds: dict[str, float] = {}
        graphs: dict[str, Any] = {}

        def timed(step: Step, item: Any) -> Any:
            start = time.perf_counter()
            out = hook(step, item)
            seconds[step.name] = time.perf_counter() - start
            return out

        hits_data = timed(Step("preprocessing", lambda frames: process_event(event_id, *frames)), (hits, cells))
        labels = np.full(len(hits), -1, dtype=np.int64)
        if hits_data.num_nodes == 0:
            seconds.update(dict.fromkeys(self.step_names[1:], 0.0))
            return ChainResult(None, labels, seconds, graphs)
        data = self._run_stages(self.trained, hits_data, timed, graphs)
        labels[:] = data.track_label.numpy()
        for number in self.later_passes:
            if (labels < 0).any():
                self._run_later_pass(number, hits_data, data.embedding, labels, timed, graphs)
            else:  # every hit on a track: nothing left for it
                seconds.update({name: 0.0 for name in self.step_names if name.startswith(pass_prefix(number))})
        if self.config.final_extension.enabled:
            labels[:] = timed(Step("final_extension", self._final_extension), (labels, hits_data))
        return ChainResult(data, labels, seconds, graphs)

    def _final_extension(self, item: tuple[np.ndarray, Any]) -> np.ndarray:
        """``(labels, hits)`` → the labels after :func:`~trackgnn.tracking.extend_tracks` with the
        ``final_extension`` windows (a new array)."""
        from trackgnn.geometry import hit_positions
        from trackgnn.tracking import extend_tracks

        labels, hits_data = item
        return extend_tracks(labels, hit_positions(hits_data).numpy(), **self.config.final_extension.options())

    def _run_stages(self, stages: list[TrainedStage], data: Any, hook: StepHook, graphs: dict[str, Any],
                    rows: np.ndarray | None = None) -> Any:
        """``data`` through ``stages``; each stage's graph added to ``graphs`` (its nodes mapped to ``rows``)."""
        import torch

        for trained in stages:
            with self._autocast(trained.name):
                data = trained(data, hook=hook)
            _to_float32(data)
            kept = data.edge_kept if "edge_kept" in data else None
            edges = data.edge_index if kept is None else data.edge_index[:, kept]
            if rows is not None:
                edges = torch.from_numpy(rows)[edges]
            graphs[trained.name] = edges if trained.name not in graphs else torch.cat([graphs[trained.name], edges], 1)
        return data

    def _run_later_pass(self, number: int, hits_data: Any, embedding: Any, labels: np.ndarray, timed: StepHook,
                        graphs: dict[str, Any]) -> None:
        """Pass ``number`` (2, 3, ...): the second pass's stages on the hits without a track (``labels`` < 0),
        with their first-pass ``embedding`` rows; the new tracks are added to ``labels``."""
        import torch

        from trackgnn.processing import subset_nodes

        free = labels < 0
        rows = np.flatnonzero(free)
        prefix = pass_prefix(number)

        def renamed(step: Step, item: Any) -> Any:
            return timed(Step(f"{prefix}{step.name}", step.run, step.owner), item)

        def free_hits(event: Any) -> Any:
            out = subset_nodes(event, torch.from_numpy(free))
            out.embedding = embedding[torch.from_numpy(rows)]
            return out

        data = timed(Step(f"{prefix}preprocessing", free_hits), hits_data)
        data = self._run_stages(self.second_pass, data, renamed, graphs, rows)
        found = data.track_label.numpy()
        new = found >= 0
        labels[rows[new]] = found[new] + labels.max() + 1
