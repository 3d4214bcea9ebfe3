"""Entry points shared by the CLI and pipelines: config file → stage → train / infer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from trackgnn.errors import ConfigError
from trackgnn.stages._registry import resolve_stage
from trackgnn.stages._report import format_edge_metrics, format_train_result, update_metrics_json

__all__ = ["load_stage_config", "ensure_stage_ready", "train_stage", "infer_stage"]


def load_stage_config(path: str | Path):
    """Read a stage YAML into ``(stage, config)``: the stage instance and its typed config.

    Raises
    ------
    ConfigError
        Missing ``stage`` key, unknown stage, unknown keys or wrong types (naming the file).
    """
    from trackgnn.config import from_dict, load_yaml

    path = Path(path)
    data = load_yaml(path)
    if "stage" not in data:
        raise ConfigError(f"{path}: required key 'stage' is missing")
    stage_cls = resolve_stage(data["stage"], where=f"{path}: stage")
    config = from_dict(stage_cls.config_class, data, where=str(path))
    config.config_path = path
    return stage_cls(), config


def ensure_stage_ready(path: str | Path, log: Callable[[str], None] = print) -> Path:
    """Make the outputs of the stage configured in ``path`` exist and be current.

    Trains the stage if it has no finished checkpoint (resuming an interrupted
    run), then writes any missing outputs; both steps reuse what is already there.
    Returns the stage directory.
    """
    stage, config = load_stage_config(path)
    if not stage.outputs_ready(config):
        train_stage(stage, config, log=log, echo=log)
        infer_stage(stage, config, skip_existing=True, log=log, echo=log)
    return Path(config.stage_dir)


def train_stage(stage, config, *, restart: bool = False, log: Callable[[str], None] = print,
                echo: Callable[[str], None] = print) -> dict:
    """Train ``stage``; on rank 0 print the summary and the best model's validation metrics
    (``echo``) and record them under ``train`` in ``stage_dir/metrics.json``."""
    result = stage.train(config, restart=restart, log=log)
    if int(os.environ.get("RANK", "0")) == 0:
        echo(format_train_result(result))
        if result.get("validation"):
            echo(format_edge_metrics(result["validation"], f"{stage.name} validation, best model "
                                     f"({result['validation']['n_events']} events)"))
        path = update_metrics_json(config.stage_dir, "train", result)
        echo(f"checkpoints in {stage.checkpoint_dir(config)}; metrics in {path}")
    return result


def infer_stage(stage, config, *, skip_existing: bool = True, log: Callable[[str], None] = print,
                echo: Callable[[str], None] = print) -> dict:
    """Write ``stage``'s output events for every split, print their edge metrics (``echo``)
    and record them under ``infer`` in ``stage_dir/metrics.json``."""
    results = stage.infer(config, skip_existing=skip_existing, log=log)
    for split in ("train", "val", "test"):
        if split in results:
            echo(format_edge_metrics(results[split], f"{stage.name} {split} ({results[split]['n_events']} events)"))
    path = update_metrics_json(config.stage_dir, "infer", results)
    echo(f"outputs in {config.stage_dir}/{{train,val,test}}; metrics in {path}")
    return results
