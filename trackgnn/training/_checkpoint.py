"""Checkpoints: atomic writes, safe ``weights_only`` reads, clear errors.

A checkpoint is a dict of tensors and primitive values only (no pickled
classes), so it loads with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from trackgnn.config import resolved_from
from trackgnn.errors import CheckpointError

__all__ = ["CHECKPOINT_FORMAT", "save_checkpoint", "load_checkpoint", "compare_fingerprint",
           "load_model_state"]

CHECKPOINT_FORMAT = 1
_REQUIRED = ("format", "epoch", "model", "config")


def save_checkpoint(state: dict[str, Any], path: str | Path) -> None:
    """Write ``state`` (plus the format version) atomically."""
    from trackgnn.io import atomic_torch_save

    atomic_torch_save({"format": CHECKPOINT_FORMAT, **state}, path)


def load_checkpoint(path: str | Path, command_hint: str = "") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises
    ------
    CheckpointError
        The file is missing (the message names ``command_hint``, the command that
        writes it), unreadable, or not a trackgnn checkpoint.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        hint = f"; train the stage first with `{command_hint}`" if command_hint else ""
        raise CheckpointError(f"{path}: checkpoint not found{resolved_from(path)}{hint}")
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: corrupt or unreadable checkpoint ({first})") from None
    if not isinstance(state, dict) or any(key not in state for key in _REQUIRED):
        raise CheckpointError(f"{path}: not a trackgnn checkpoint (expected keys {list(_REQUIRED)})")
    if state["format"] != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {state['format']} is not the supported "
                              f"format {CHECKPOINT_FORMAT}")
    return state


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def compare_fingerprint(path: str | Path, saved: dict, current: dict) -> None:
    """Raise :class:`CheckpointError` naming the first setting where ``saved`` and ``current`` differ."""
    a, b = _flatten(saved), _flatten(current)
    for key in sorted(set(a) | set(b)):
        if a.get(key, "<unset>") != b.get(key, "<unset>"):
            raise CheckpointError(
                f"{path}: checkpoint was trained with {key} = {a.get(key, '<unset>')!r} but the config "
                f"says {b.get(key, '<unset>')!r}; use another stage_dir or start over with --restart"
            )


def load_model_state(path: str | Path, model, state_dict: dict) -> None:
    """``model.load_state_dict`` with a :class:`CheckpointError` on a shape or key mismatch."""
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:300]
        raise CheckpointError(f"{path}: checkpoint does not match the model ({detail})") from None
