"""Event files of a stage: ``event000001000.pt`` holding one torch-geometric ``Data``.

Files are written atomically and read back with ``torch.load(weights_only=True)``
(only the torch-geometric storage classes are allow-listed), so a stage never
executes code from an event file.
"""

from __future__ import annotations

import re
from pathlib import Path

from trackgnn.errors import DataFormatError

__all__ = ["event_file", "event_files", "save_event_data", "load_event_data"]

_EVENT_PT = re.compile(r"^event(\d+)\.pt$")


def event_file(directory: str | Path, event_id: int) -> Path:
    """``directory/event000001000.pt`` for event 1000."""
    return Path(directory) / f"event{int(event_id):09d}.pt"


def event_files(directory: str | Path) -> list[Path]:
    """Event files of ``directory`` sorted by event id (empty when the directory is missing)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _EVENT_PT.match(p.name))]
    return [p for _, p in sorted(found)]


def save_event_data(data, path: str | Path) -> None:
    """Write one ``Data`` atomically."""
    from trackgnn.io import atomic_torch_save

    atomic_torch_save(data, path)


def _safe_classes() -> list:
    from torch_geometric.data import Data
    from torch_geometric.data.data import DataEdgeAttr, DataTensorAttr
    from torch_geometric.data.storage import GlobalStorage

    return [Data, DataEdgeAttr, DataTensorAttr, GlobalStorage]


def load_event_data(path: str | Path):
    """Read one event file written by :func:`save_event_data`.

    Raises
    ------
    DataFormatError
        When the file is missing, truncated or does not hold a ``Data``.
    """
    import pickle

    import torch
    from torch_geometric.data import Data

    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: event file not found")
    try:
        with torch.serialization.safe_globals(_safe_classes()):
            data = torch.load(path, weights_only=True, map_location="cpu")
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, AttributeError) as exc:
        raise DataFormatError(f"{path}: unreadable event file ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, Data):
        raise DataFormatError(f"{path}: expected a torch_geometric Data, got {type(data).__name__}")
    return data
