"""Preprocess a raw TrackML directory once into ``event*.pt`` files that every later run reuses."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from trackgnn.config import resolved_from
from trackgnn.errors import DataFormatError, MissingInputError
from trackgnn.processing._event import process_event
from trackgnn.processing._storage import event_file, save_event_data

__all__ = ["preprocess_dataset", "raw_event_ids"]

#: Bump when the content of preprocessed files changes, so stale files are rebuilt.
PROCESSING_VERSION = 1


def raw_event_ids(raw_dir: str | Path) -> list[int]:
    """Event ids of a raw TrackML directory, or :class:`MissingInputError` naming the command that makes one."""
    from trackgnn.data import list_events

    raw_dir = Path(raw_dir)
    events = list_events(raw_dir) if raw_dir.is_dir() else []
    if not events:
        raise MissingInputError(
            f"{raw_dir}: no TrackML events found{resolved_from(raw_dir)}; create them with "
            f"`trackgnn simulate --out {raw_dir} --events 10` (or point input_dir at a TrackML dataset)"
        )
    return [event_id for event_id, _ in events]


def preprocess_dataset(
    raw_dir: str | Path,
    out_dir: str | Path,
    event_ids: Sequence[int] | None = None,
    skip_existing: bool = True,
    progress: bool = True,
) -> list[Path]:
    """Write ``out_dir/eventNNNNNNNNN.pt`` (see :func:`process_event`) for raw events.

    Parameters
    ----------
    raw_dir : path
        Directory of TrackML CSV files (``hits`` required; ``cells``,
        ``particles``, ``truth`` used when present).
    out_dir : path
        Output directory.
    event_ids : sequence of int, optional
        Events to process (default: all of ``raw_dir``).
    skip_existing : bool
        Keep files already written from the same ``raw_dir`` by the same processing version.

    Returns
    -------
    list of Path
        The event files, in event-id order.
    """
    import torch
    from tqdm import tqdm

    from trackgnn.data import event_prefix, load_event_parts
    from trackgnn.processing._storage import load_event_data

    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if event_ids is None:
        event_ids = raw_event_ids(raw_dir)
    paths = []
    todo = []
    for event_id in event_ids:
        path = event_file(out_dir, event_id)
        paths.append(path)
        if skip_existing and path.is_file():
            try:
                cached = load_event_data(path)
                if (getattr(cached, "processing_version", None) == PROCESSING_VERSION
                        and getattr(cached, "source", None) == str(raw_dir)):
                    continue
            except DataFormatError:
                pass  # an unreadable cache file is rebuilt
        todo.append((event_id, path))
    for event_id, path in tqdm(todo, desc=f"preprocess {raw_dir}", disable=not progress or not todo,
                               unit="event"):
        data = process_event(event_id, *load_event_parts(event_prefix(raw_dir, event_id)))
        data.processing_version = PROCESSING_VERSION
        data.source = str(raw_dir)
        with torch.no_grad():
            save_event_data(data, path)
    return paths
