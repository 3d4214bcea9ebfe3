"""Checks that the stages of a chain fit together: the same hard cuts, the inputs the GNN reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from trackgnn.errors import ConfigError

__all__ = ["EDGE_FEATURE_PRODUCERS", "check_chain"]

#: GNN edge features that exist only when a stage of this name runs upstream.
EDGE_FEATURE_PRODUCERS: dict[str, str] = {"embedding_distance": "embedding", "filter_score": "filter"}


def _differences(a, b) -> list[str]:
    from trackgnn.config import to_dict

    a, b = to_dict(a), to_dict(b)
    return [key for key in a if a[key] != b.get(key)]


def check_chain(stages: Sequence[tuple[Path, Any, Any]]) -> None:
    """Raise :class:`ConfigError` unless every ``(path, stage, config)`` of a chain (first stage
    first, the GNN last) has the first stage's ``hard_cuts``, and every GNN edge feature that
    needs an upstream stage has it.

    The stages are trained and evaluated on the hits passing their hard cuts; a chain whose
    stages disagree runs a stage on hits it was never trained on.
    """
    if not stages:
        return
    first_path, _, first = stages[0]
    for path, _, config in stages[1:]:
        keys = _differences(config.hard_cuts, first.hard_cuts)
        if keys:
            shown = ", ".join(f"hard_cuts.{k} = {getattr(config.hard_cuts, k)!r} but {first_path} has "
                              f"{getattr(first.hard_cuts, k)!r}" for k in keys)
            raise ConfigError(f"{path}: {shown}; the stages of a chain must select the same hits")
    last_path, last_stage, last = stages[-1]
    names = [stage.name for _, stage, _ in stages]
    if last_stage.name != "gnn" or len(stages) < 2:
        return
    for feature in last.model.edge_features:
        needed = EDGE_FEATURE_PRODUCERS.get(feature)
        if needed is not None and needed not in names:
            raise ConfigError(f"{last_path}: model.edge_features has {feature!r}, which needs a {needed} stage "
                              f"upstream; the chain has {names}")
