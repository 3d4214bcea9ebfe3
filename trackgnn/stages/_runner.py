"""Entry points shared by the CLI and pipelines: config file → stage → train / infer."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from trackgnn.errors import ConfigError
from trackgnn.stages._registry import resolve_stage

__all__ = ["load_stage_config", "ensure_stage_ready"]


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
        stage.train(config, log=log)
        stage.infer(config, skip_existing=True, log=log)
    return Path(config.stage_dir)
