"""Stage registry keyed by the YAML ``stage:`` value.

The built-in stages (:class:`~trackgnn.embedding.EmbeddingStage`,
:class:`~trackgnn.filter.FilterStage`, :class:`~trackgnn.gnn.GNNStage`) are imported
the first time the registry is read, not when :mod:`trackgnn.stages` is imported (their
packages build on this framework).  Add a stage class with :func:`register_stage`::

    @register_stage
    class HoughStage(Stage):
        name = "hough"
        ...
"""

from __future__ import annotations

from typing import Any

from trackgnn.errors import ConfigError
from trackgnn.stages._base import Stage

__all__ = ["STAGES", "register_stage", "registered_stages", "resolve_stage"]

#: Stage name → :class:`~trackgnn.stages.Stage` subclass; the built-in stages join on first use
#: (see :func:`registered_stages`).
STAGES: dict[str, type[Stage]] = {}


def _builtin_stages() -> tuple[type[Stage], ...]:
    from trackgnn.embedding import EmbeddingStage
    from trackgnn.filter import FilterStage
    from trackgnn.gnn import GNNStage

    return EmbeddingStage, FilterStage, GNNStage


def registered_stages() -> dict[str, type[Stage]]:
    """Every registered stage class by name, the built-in ones included."""
    for stage_cls in _builtin_stages():
        STAGES.setdefault(stage_cls.name, stage_cls)
    return dict(STAGES)


def register_stage(stage_cls: type[Stage]) -> type[Stage]:
    """Register ``stage_cls`` under its ``name`` (replacing a stage of that name); returns it,
    so it works as a class decorator."""
    if not (isinstance(stage_cls, type) and issubclass(stage_cls, Stage)):
        raise TypeError(f"register_stage: expected a Stage subclass, got {stage_cls!r}")
    STAGES[stage_cls.name] = stage_cls
    return stage_cls


def resolve_stage(name: Any, where: str = "stage") -> type[Stage]:
    """The stage class registered as ``name``, or a :class:`ConfigError` listing the known stages."""
    stages = registered_stages()
    if not isinstance(name, str) or name not in stages:
        raise ConfigError(f"{where}: could not resolve {name!r} among {sorted(stages)}")
    return stages[name]
