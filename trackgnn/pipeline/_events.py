"""Which raw TrackML events the chain runs on: a directory, or the default simulated test split."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from trackgnn.config import resolved_from
from trackgnn.errors import ConfigError, DataFormatError, MissingInputError

__all__ = ["default_test_events", "iter_raw_events"]


def default_test_events(chain) -> tuple[Path, list[int]]:
    """The raw directory and event ids of the test split of the first upstream stage.

    The first stage (embedding) reads raw TrackML events in ``input_dir`` and splits them by
    event-id order into ``data_split`` = (train, val, test); the test events are held out.
    """
    from trackgnn.data import list_events

    path, stage, config = chain.stages[0]
    if stage.name != "embedding":
        raise ConfigError(f"{path}: the first stage does not read raw events; pass --data DIR")
    raw_dir = Path(config.input_dir)
    ids = [event_id for event_id, _ in list_events(raw_dir)] if raw_dir.is_dir() else []
    n_train, n_val, n_test = config.data_split
    test = ids[n_train + n_val:n_train + n_val + n_test]
    if not test:
        raise MissingInputError(f"{raw_dir}: no held-out test events{resolved_from(raw_dir)} (found {len(ids)} "
                                f"events, data_split "
                                f"{list(config.data_split)}); run `trackgnn train` first or pass --data DIR")
    return raw_dir, test


def iter_raw_events(raw_dir: str | Path, event_ids: list[int] | None = None, *,
                    need_truth: bool = False) -> Iterator[tuple]:
    """Yield ``(event_id, hits, cells, particles, truth)``; absent optional parts are None.

    Parameters
    ----------
    raw_dir : path
        Directory of TrackML files (csv or csv.gz; cells, particles and truth optional).
    event_ids : list of int, optional
        Default: every event of the directory.
    need_truth : bool
        Raise :class:`DataFormatError` naming the file when an event has no truth or particles.
    """
    from trackgnn.data import event_prefix, list_events, load_event_parts

    raw_dir = Path(raw_dir)
    if event_ids is None:
        event_ids = [event_id for event_id, _ in list_events(raw_dir)] if raw_dir.is_dir() else []
        if not event_ids:
            raise MissingInputError(f"{raw_dir}: no TrackML events found{resolved_from(raw_dir)} (expected files like "
                                    f"event000001000-hits.csv or .csv.gz)")
    for event_id in event_ids:
        hits, cells, particles, truth = load_event_parts(event_prefix(raw_dir, event_id))
        if need_truth and (truth is None or particles is None):
            missing = "truth" if truth is None else "particles"
            raise DataFormatError(f"{event_prefix(raw_dir, event_id)}-{missing}.csv: not found; evaluation needs "
                                  f"truth and particles files (use `trackgnn reconstruct` for hits only)")
        yield event_id, hits, cells, particles, truth
