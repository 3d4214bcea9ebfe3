"""The second pass's own GNN: the first pass's, fine-tuned on the graphs the second pass sees.

The second pass (:class:`~trackgnn.gnn.SecondPassConfig`) runs the chain again on the hits the first
pass left without a track.  Those graphs are unlike the first pass's: few, mostly low-pT and displaced
particles among noise and track fragments.  With ``second_pass.train_epochs`` > 0, ``trackgnn train``
builds them on the training and validation events exactly as inference does (the trained first pass,
its free hits, their embedding graph, the filter at the second pass's cut), writes them to
``<stage_dir>/second_pass/graphs/{train,val}``, fine-tunes a copy of the trained GNN there and fits
it its own track selection (``<stage_dir>/second_pass/checkpoints``).  With
``second_pass.filter_epochs`` > 0 the filter is fine-tuned first, the same way, on the embedding
graphs of those free hits (``<stage_dir>/second_pass/embedding_graphs``, checkpoints in
``<stage_dir>/second_pass/filter``), and the second pass runs it.  A checkpoint's fingerprint names
the first-pass checkpoint it was tuned from: a retrained GNN or filter makes it stale.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Callable

from trackgnn.filter import FilterStage, FilterStageConfig
from trackgnn.gnn._config import GNNStageConfig, SecondPassConfig
from trackgnn.gnn._stage import GNNStage

__all__ = ["SECOND_PASS_DIR", "SecondPassFilterStage", "SecondPassGNNStage", "load_second_pass",
           "load_second_pass_filter", "second_pass_config", "second_pass_filter_config", "second_pass_graph",
           "second_pass_upstream", "train_second_pass"]

#: Sub-directory of the GNN's ``stage_dir`` holding the second pass's graphs and checkpoints.
SECOND_PASS_DIR = "second_pass"
_SOURCE_FILE = "source.json"


def _fine_tuning(config: GNNStageConfig, base, directory: str, epochs: int, lr: float, **changes):
    """``base`` (a stage config) fine-tuned ``epochs`` epochs at ``lr`` (validated after the last)
    on the inputs in ``<stage_dir>/second_pass/<directory>`` of ``config``'s training and
    validation events; ``changes`` replace further fields.  Errors name ``config``'s file."""
    root = Path(config.stage_dir) / SECOND_PASS_DIR
    derived = dataclasses.replace(
        base, input_dir=root / directory, data_split=(config.data_split[0], config.data_split[1], 0),
        training=dataclasses.replace(base.training, max_epochs=epochs, lr=lr, val_every=max(1, epochs)), **changes)
    derived.config_path = config.config_path  # errors name the config the user trains
    return derived


def second_pass_config(config: GNNStageConfig) -> GNNStageConfig:
    """The config of the second pass's GNN: ``config``'s network, tracking and data split, trained
    ``second_pass.train_epochs`` epochs at ``second_pass.lr`` on whole second-pass graphs."""
    settings = config.second_pass
    quality = config.tracking.quality
    if settings.quality_cut is not None:
        quality = dataclasses.replace(quality, cut=settings.quality_cut)
    return _fine_tuning(config, config, "graphs", settings.train_epochs, settings.lr,
                        stage_dir=Path(config.stage_dir) / SECOND_PASS_DIR, upstream=[], input_cut=0.0,
                        train_sectors=1, second_pass=SecondPassConfig(enabled=False),
                        tracking=dataclasses.replace(config.tracking, quality=quality))


def second_pass_filter_config(config: GNNStageConfig, filter_config: FilterStageConfig) -> FilterStageConfig:
    """The config of the second pass's filter: ``filter_config``'s network and loss at the second
    pass's cut, trained ``second_pass.filter_epochs`` epochs at ``second_pass.filter_lr`` on the
    second pass's embedding graphs of ``config``'s training and validation events."""
    settings = config.second_pass
    return _fine_tuning(config, filter_config, "embedding_graphs", settings.filter_epochs, settings.filter_lr,
                        stage_dir=Path(config.stage_dir) / SECOND_PASS_DIR / "filter", score_cut=settings.filter_cut)


def _identity(state: dict) -> dict:
    return {"run_id": state.get("run_id"), "epoch": state.get("epoch")}


class _FineTuned:
    """Mixin of a second-pass stage: starts from the weights of the first pass's best checkpoint
    ``first_pass`` (its contents), names it in its fingerprint and reads the inputs
    :func:`train_second_pass` wrote (nothing upstream to bootstrap)."""

    def __init__(self, first_pass: dict) -> None:
        super().__init__()
        self.first_pass = first_pass

    def fingerprint(self, config) -> dict:
        return {**super().fingerprint(config), "first_pass": _identity(self.first_pass)}

    def prepare_inputs(self, config, is_main: bool = True) -> Path:
        return Path(config.input_dir)

    def build_task(self, config):
        task = super().build_task(config)
        task.model.load_state_dict(self.first_pass["model"])
        return task


class SecondPassGNNStage(_FineTuned, GNNStage):
    """The GNN stage of the second pass (:func:`second_pass_config`), tuned from the first pass's."""


class SecondPassFilterStage(_FineTuned, FilterStage):
    """The filter stage of the second pass (:func:`second_pass_filter_config`), tuned from the first pass's."""


def second_pass_upstream(trained: list, settings: SecondPassConfig, tuned_filter=None) -> list:
    """The trained embedding and filter stages as the second pass runs them (``settings``): the
    embedding stage without its ``embedding`` step (a hit keeps its first-pass embedding), its
    graph at ``settings.graph_r`` / ``graph_k`` where set; the filter at ``settings.filter_cut``
    (or ``tuned_filter``, the second pass's own trained filter stage); other stages as they are."""
    from trackgnn.stages import TrainedStage

    stages = []
    for stage in trained:
        kind, config, model, device = stage.stage, stage.config, stage.model, stage.device
        if stage.name == "embedding":
            graph = dataclasses.replace(config.graph, r=settings.graph_r or config.graph.r,
                                        k=settings.graph_k or config.graph.k)
            config = dataclasses.replace(config, graph=graph)
            steps = [(name, run) for name, run in kind.inference_steps(config, model, device) if name != "embedding"]
            stage = TrainedStage(kind, config, model, device, steps)
        elif stage.name == "filter" and tuned_filter is not None:
            stage = tuned_filter
        elif stage.name == "filter":
            config = dataclasses.replace(config, score_cut=settings.filter_cut)
            stage = TrainedStage(kind, config, model, device, kind.inference_steps(config, model, device))
        stages.append(stage)
    return stages


def _free_hits(event: Any, free) -> Any:
    """``event``'s hits where ``free`` (their node attributes and truth; no edges)."""
    from trackgnn.processing import subset_nodes

    out = subset_nodes(event, free)
    for key in [k for k in out.keys() if k == "edge_index" or k == "y" or k.startswith("edge_")]:
        del out[key]
    return out


def second_pass_graph(first_pass, upstream: list, event: Any) -> Any:
    """The graph the second pass's GNN sees on ``event`` (a GNN-stage input event): the hits the
    trained ``first_pass`` (GNN stage with its selection) leaves free, through ``upstream``
    (:func:`second_pass_upstream`; its stages before the filter give their embedding graph)."""
    return _run_stages(upstream, _free_hits(event, first_pass(event).track_label < 0))


def _write_graphs(files: dict, out_dir: Path, load: Callable, run: Callable, what: str,
                  log: Callable[[str], None]) -> None:
    """``run(load(path))`` of every file of ``files`` (split -> paths) to ``out_dir/<split>/<name>``."""
    import torch

    from trackgnn.processing import save_event_data

    with torch.no_grad():
        for split, paths in files.items():
            log(f"second pass: building the {what} of {len(paths)} {split} events in {out_dir / split}")
            for path in paths:
                save_event_data(run(load(path)), out_dir / split / path.name)


def _run_stages(stages: list, data: Any) -> Any:
    for stage in stages:
        data = stage(data)
    return data


def _build_graphs(config: GNNStageConfig, derived: GNNStageConfig, first_pass_state: dict,
                  log: Callable[[str], None]) -> tuple[bool, dict | None]:
    """Write the second-pass graphs of the training and validation events unless current, with
    ``second_pass.filter_epochs`` > 0 tuning the second pass's filter on their embedding graphs
    first; returns (True when (re)written, the filter's training summary or None)."""
    from trackgnn.io import atomic_path
    from trackgnn.pipeline._bootstrap import upstream_configs
    from trackgnn.processing import load_event_data
    from trackgnn.stages import config_record

    graphs = Path(derived.input_dir)
    settings = config.second_pass
    upstream_list = upstream_configs(config)
    filter_config = next(c for _, s, c in upstream_list if s.name == FilterStage.name)
    first_filter = FilterStage().best_checkpoint(filter_config)
    # what decides which hits the first pass leaves free and the graph among them
    record = config_record(config)
    source = json.dumps({"first_pass": _identity(first_pass_state), "filter": _identity(first_filter),
                         "filter_cut": settings.filter_cut, "filter_epochs": settings.filter_epochs,
                         "filter_lr": settings.filter_lr, "graph_r": settings.graph_r, "graph_k": settings.graph_k,
                         "data_split": list(derived.data_split),
                         "tracking": record["tracking"], "score_cut": record["score_cut"],
                         "input_cut": record["input_cut"]}, sort_keys=True)
    source_path = graphs / _SOURCE_FILE
    if source_path.is_file() and source_path.read_text() == source:
        log(f"second pass: graphs in {graphs} are current")
        return False, None
    stage = GNNStage()
    first_pass = stage.load_trained(config, "cpu")
    upstream = second_pass_upstream([s.load_trained(c, "cpu") for _, s, c in upstream_list], settings)
    data = stage.data_module(config, is_main=False)
    files = {split: data.files(split) for split in ("train", "val")}
    source_path.unlink(missing_ok=True)
    summary = None
    if settings.filter_epochs > 0:
        at = [s.name for s in upstream].index(FilterStage.name)
        filter_derived = second_pass_filter_config(config, filter_config)
        embedding_graphs = Path(filter_derived.input_dir)
        _write_graphs(files, embedding_graphs, data.load,
                      lambda event: second_pass_graph(first_pass, upstream[:at], event),
                      "embedding graphs", log)
        log(f"second pass: fine-tuning the filter {settings.filter_epochs} epochs on its embedding graphs")
        tuner = SecondPassFilterStage(first_filter)
        summary = tuner.train(filter_derived, restart=True, log=log)
        tuned = [tuner.load_trained(filter_derived, "cpu"), *upstream[at + 1:]]
        files = {split: [embedding_graphs / split / path.name for path in paths] for split, paths in files.items()}
        _write_graphs(files, graphs, load_event_data, lambda event: _run_stages(tuned, event), "graphs", log)
    else:
        _write_graphs(files, graphs, data.load, lambda event: second_pass_graph(first_pass, upstream, event),
                      "graphs", log)
    with atomic_path(source_path) as tmp:
        tmp.write_text(source)
    return True, summary


def train_second_pass(config: GNNStageConfig, restart: bool = False, log: Callable[[str], None] = print) -> dict:
    """Build the second pass's graphs (when missing or stale; tuning its filter first with
    ``second_pass.filter_epochs``) and fine-tune its GNN there (resuming an interrupted run unless
    ``restart`` or the graphs were rebuilt); returns the training summary."""
    stage = GNNStage()
    first_pass_state = stage.best_checkpoint(config)
    derived = second_pass_config(config)
    rebuilt, filter_summary = _build_graphs(config, derived, first_pass_state, log)
    log(f"second pass: fine-tuning the GNN {derived.training.max_epochs} epochs on its graphs")
    out = SecondPassGNNStage(first_pass_state).train(derived, restart=restart or rebuilt, log=log)
    return out if filter_summary is None else {**out, "filter": filter_summary}


def _load_tuned(config: GNNStageConfig, tuned: _FineTuned, derived, device: str, checkpoint: Path | None):
    from trackgnn.errors import CheckpointError

    try:
        return tuned.load_trained(derived, device, checkpoint)
    except CheckpointError as exc:
        raise CheckpointError(f"{exc} (second pass: `trackgnn train {config.config_path or '<config>'}` tunes its "
                              f"{tuned.name} for the current first pass)") from None


def load_second_pass(config: GNNStageConfig, device: str = "cpu", checkpoint_dir: str | Path | None = None):
    """The second pass's trained GNN stage (with its selection), checked against the first pass's
    checkpoint (a :class:`~trackgnn.errors.CheckpointError` naming ``trackgnn train`` when it is
    missing or was tuned from another).  ``checkpoint_dir``: read ``gnn/best.pt`` and
    ``gnn/second_pass/best.pt`` there instead of the stage directories."""
    first = None if checkpoint_dir is None else Path(checkpoint_dir) / "gnn" / "best.pt"
    second = None if checkpoint_dir is None else Path(checkpoint_dir) / "gnn" / SECOND_PASS_DIR / "best.pt"
    first_pass_state = GNNStage().best_checkpoint(config, first)
    return _load_tuned(config, SecondPassGNNStage(first_pass_state), second_pass_config(config), device, second)


def load_second_pass_filter(config: GNNStageConfig, filter_config: FilterStageConfig, device: str = "cpu",
                            checkpoint_dir: str | Path | None = None):
    """The second pass's trained filter stage (``second_pass.filter_epochs``), checked against the
    first pass's filter (``filter_config``'s checkpoint) as :func:`load_second_pass` checks the GNN.
    ``checkpoint_dir``: read ``filter/best.pt`` and ``gnn/second_pass/filter/best.pt`` there."""
    first = None if checkpoint_dir is None else Path(checkpoint_dir) / "filter" / "best.pt"
    second = None if checkpoint_dir is None else Path(checkpoint_dir) / "gnn" / SECOND_PASS_DIR / "filter" / "best.pt"
    first_state = FilterStage().best_checkpoint(filter_config, first)
    return _load_tuned(config, SecondPassFilterStage(first_state), second_pass_filter_config(config, filter_config),
                       device, second)
