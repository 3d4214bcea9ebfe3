"""A fresh checkout: simulate the default dataset and run the upstream stages before the GNN."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from trackgnn.config import resolved_from
from trackgnn.errors import ConfigError, MissingInputError
from trackgnn.gnn._config import GNNStageConfig

__all__ = ["ensure_upstream", "upstream_configs"]


def _simulate_if_missing(raw_dir: Path, n_events: int, sim, log: Callable[[str], None]) -> None:
    from trackgnn.data import list_events

    found = list_events(raw_dir) if raw_dir.is_dir() else []
    if len(found) >= n_events:
        return
    from trackgnn.simulation import simulate_dataset

    log(f"no TrackML events in {raw_dir} ({len(found)} of {n_events} needed): simulating the default "
        f"dataset, {n_events} events (seed {sim.seed}, pile-up {sim.pileup:g})")
    simulate_dataset(raw_dir, n_events, sim, workers=max(1, min(2, os.cpu_count() or 1)), progress=True)


def upstream_configs(config: GNNStageConfig) -> list[tuple[Path, object, object]]:
    """``(path, stage, stage config)`` of each ``upstream`` entry, checked to chain into the GNN.

    Raises
    ------
    ConfigError
        An upstream config is missing, the last one's ``stage_dir`` is not the GNN's ``input_dir``,
        or the stages disagree on hard cuts or lack an input the GNN reads
        (:func:`~trackgnn.pipeline.check_chain`).
    """
    from trackgnn.stages import load_stage_config

    loaded = []
    for path in map(Path, config.upstream):  # relative to the working directory, like every config path
        if not path.is_file():
            raise ConfigError(f"{config.config_path}: upstream config {str(path)!r} not found{resolved_from(path)}")
        loaded.append((path, *load_stage_config(path)))
    if loaded:
        last_dir = Path(loaded[-1][2].stage_dir)
        if last_dir.resolve() != Path(config.input_dir).resolve():
            raise ConfigError(f"{config.config_path}: input_dir {str(config.input_dir)!r} is not the stage_dir "
                              f"{str(last_dir)!r} of the last upstream stage ({loaded[-1][0]})")
        from trackgnn.gnn import GNNStage
        from trackgnn.pipeline._consistency import check_chain

        check_chain([*loaded, (config.config_path, GNNStage(), config)])
    return loaded


def ensure_upstream(config: GNNStageConfig, log: Callable[[str], None] = print) -> None:
    """Make the GNN's input exist: simulate raw events if needed, then train and run each
    ``upstream`` stage that has no current outputs (each step says what it does).

    Raises
    ------
    ConfigError
        An upstream config is missing, or the last one's ``stage_dir`` is not the GNN's ``input_dir``.
    MissingInputError
        Under ``torchrun`` (several processes) when the input is missing: the upstream stages
        are trained once in a single process first.
    """
    from trackgnn.stages import infer_stage, train_stage

    loaded = upstream_configs(config)
    if not loaded or all(stage.outputs_ready(cfg) for _, stage, cfg in loaded):
        return
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise MissingInputError(
            f"{config.input_dir}: the upstream stages have not run yet; run `trackgnn train "
            f"{config.config_path}` once in a single process (it trains them) before launching torchrun")
    first_path, first_stage, first_cfg = loaded[0]
    if first_stage.name == "embedding":
        _simulate_if_missing(Path(first_cfg.input_dir), sum(first_cfg.data_split), config.simulation, log)
    for path, stage, cfg in loaded:
        if stage.outputs_ready(cfg):
            log(f"upstream {stage.name} ({path}): outputs in {cfg.stage_dir} are current")
            continue
        log(f"upstream {stage.name} ({path}): training, then writing its outputs to {cfg.stage_dir}")
        train_stage(stage, cfg, log=log, echo=log)
        infer_stage(stage, cfg, skip_existing=True, log=log, echo=log)
