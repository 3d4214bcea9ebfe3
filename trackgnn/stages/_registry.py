"""Stage registry keyed by the YAML ``stage:`` value; entries are imported only when used."""

from __future__ import annotations

import importlib

from trackgnn.errors import ConfigError

__all__ = ["STAGES", "register_stage", "resolve_stage"]

#: stage name -> "module:Class" of a :class:`trackgnn.stages.Stage` subclass.
STAGES: dict[str, str] = {
    "embedding": "trackgnn.embedding._stage:EmbeddingStage",
    "filter": "trackgnn.filter._stage:FilterStage",
    "gnn": "trackgnn.gnn._stage:GNNStage",
}


def register_stage(name: str, target: str) -> None:
    """Add a stage: ``register_stage("gnn", "trackgnn.models._stage:GNNStage")``."""
    STAGES[name] = target


def resolve_stage(name: str, where: str = "stage"):
    """The stage class registered as ``name``, or a :class:`ConfigError` listing the known stages."""
    target = STAGES.get(name) if isinstance(name, str) else None
    if target is None:
        raise ConfigError(f"{where}: could not resolve {name!r} among {sorted(STAGES)}")
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)
