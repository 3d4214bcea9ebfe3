"""Read TrackML events with the trackml library's semantics, validating at the boundary.

Files are ``{prefix}-{part}.csv`` or ``.csv.gz``; a dataset is a directory or a zip
file of such files.  Every problem is reported as one :class:`DataFormatError`
naming the file, the column and the value.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from trackgnn.data._detectors import check_hit_modules
from trackgnn.data._schema import COLUMNS, FINITE_COLUMNS, OPTIONAL_COLUMNS, PARTS
from trackgnn.config import resolved_from
from trackgnn.errors import DataFormatError

__all__ = ["load_event", "load_event_parts", "load_dataset", "list_events", "event_prefix", "read_part"]

_EVENT_FILE = re.compile(r"(?:^|/)event(\d+)-(hits|cells|particles|truth)\.csv(\.gz)?$")

Opener = Callable[[], IO[bytes]]


def event_prefix(directory: str | Path, event_id: int) -> Path:
    """``directory/event000001000`` for event 1000 (9 digits, as TrackML names them)."""
    return Path(directory) / f"event{event_id:09d}"


def _check_parts(parts: Sequence[str]) -> tuple[str, ...]:
    if isinstance(parts, str):
        parts = (parts,)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise DataFormatError(f"unknown event part {unknown[0]!r}; choose among {list(PARTS)}")
    return tuple(parts)


def _show(value: object) -> str:
    """``repr`` of a cell value without numpy's type decoration."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _first_bad(raw: pd.Series, converted: pd.Series) -> tuple[int, object]:
    bad = np.flatnonzero(converted.isna().to_numpy())
    row = int(bad[0])
    return row, raw.iloc[row]


def read_part(opener: Opener, name: str, part: str) -> pd.DataFrame:
    """Parse one TrackML file and check its columns and values.

    Parameters
    ----------
    opener : callable
        Returns a fresh binary file object (gzip is detected from ``name``).
    name : str
        File name used in error messages.
    part : {'hits', 'cells', 'particles', 'truth'}
    """
    compression = "gzip" if name.endswith(".gz") else None
    try:
        with opener() as handle:
            frame = pd.read_csv(handle, compression=compression, low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataFormatError(
            f"{name}: file is empty; expected a header with columns {list(COLUMNS[part])}"
        ) from None
    except (zlib.error, zipfile.BadZipFile) as exc:
        kind = "gzip" if compression == "gzip" else "zip"
        raise DataFormatError(f"{name}: corrupt {kind} data ({str(exc).strip()})") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise DataFormatError(f"{name}: malformed CSV ({str(exc).strip()})") from None
    expected = COLUMNS[part]
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in expected if c not in frame.columns and c not in OPTIONAL_COLUMNS[part]]
    if missing:
        raise DataFormatError(
            f"{name}: missing column {missing[0]!r} (found columns: {', '.join(frame.columns)})"
        )
    columns = {}
    for column, dtype in expected.items():
        if column not in frame.columns:
            continue
        raw = frame[column]
        values = raw if pd.api.types.is_numeric_dtype(raw) else pd.to_numeric(raw, errors="coerce")
        if values.isna().any():
            row, value = _first_bad(raw, values)
            what = "a missing value (NaN)" if pd.isna(value) else f"non-numeric value {_show(value)}"
            raise DataFormatError(f"{name}: column {column!r} has {what} in data row {row + 1}")
        if dtype.startswith("i"):
            if not pd.api.types.is_integer_dtype(values):
                as_int = np.round(values.to_numpy(dtype=np.float64))
                frac = np.flatnonzero(as_int != values.to_numpy(dtype=np.float64))
                if frac.size:
                    row = int(frac[0])
                    raise DataFormatError(
                        f"{name}: column {column!r} needs integers, got {_show(raw.iloc[row])} in data row {row + 1}"
                    )
                values = pd.Series(as_int)
            columns[column] = values.to_numpy().astype(dtype)
        else:
            array = values.to_numpy().astype(dtype)
            if column in FINITE_COLUMNS[part] and not np.isfinite(array).all():
                row = int(np.flatnonzero(~np.isfinite(array))[0])
                raise DataFormatError(
                    f"{name}: column {column!r} has non-finite value {_show(raw.iloc[row])} in data row {row + 1}"
                )
            columns[column] = array
    return pd.DataFrame(columns)


def _check_unique(frame: pd.DataFrame, column: str, name: str) -> None:
    duplicated = frame[column].duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise DataFormatError(f"{name}: duplicate {column} {frame[column].iloc[row]} in data row {row + 1}")


def _check_particles_known(truth: pd.DataFrame, particles: pd.DataFrame, names: dict[str, str]) -> None:
    """Every particle with truth hits (particle_id != 0) must have a row in the particles file.

    Otherwise its hits get no weight and no pT or eta: scores and efficiencies would be silently wrong.
    """
    pid = truth["particle_id"].to_numpy()
    missing = (pid != 0) & ~np.isin(pid, particles["particle_id"].to_numpy())
    if missing.any():
        ids = pd.unique(pid[missing])
        shown = ", ".join(map(str, ids[:5])) + (", ..." if len(ids) > 5 else "")
        raise DataFormatError(
            f"{names['particles']}: {len(ids)} particle_id(s) with hits in {names['truth']} are missing "
            f"(first: {shown}); every particle with truth hits needs a row here"
        )


def _check_event(frames: dict[str, pd.DataFrame], names: dict[str, str]) -> None:
    if "hits" in frames:
        hits = frames["hits"]
        if len(hits) == 0:
            raise DataFormatError(f"{names['hits']}: event has no hits (the file has a header but no rows)")
        _check_unique(hits, "hit_id", names["hits"])
        check_hit_modules(hits, names["hits"])
    if "particles" in frames:
        _check_unique(frames["particles"], "particle_id", names["particles"])
    if "truth" in frames:
        _check_unique(frames["truth"], "hit_id", names["truth"])
    if "truth" in frames and "particles" in frames:
        _check_particles_known(frames["truth"], frames["particles"], names)
    for part in ("truth", "cells"):
        if part in frames and "hits" in frames:
            known = frames[part]["hit_id"].isin(frames["hits"]["hit_id"]).to_numpy()
            if not known.all():
                row = int(np.flatnonzero(~known)[0])
                raise DataFormatError(
                    f"{names[part]}: hit_id {frames[part]['hit_id'].iloc[row]} (data row {row + 1}) "
                    f"is not in {names['hits']}"
                )


def _existing_file(prefix: str | Path, part: str) -> Path | None:
    """``{prefix}-{part}.csv`` or ``.csv.gz``, whichever exists, else None."""
    for suffix in (".csv", ".csv.gz"):
        path = Path(f"{prefix}-{part}{suffix}")
        if path.is_file():
            return path
    return None


def _find_file(prefix: Path, part: str) -> Path:
    path = _existing_file(prefix, part)
    if path is None:
        raise DataFormatError(f"{prefix}-{part}.csv: file not found{resolved_from(prefix)} (also tried .csv.gz)")
    return path


def load_event(
    prefix: str | Path, parts: Sequence[str] = PARTS
) -> tuple[pd.DataFrame, ...]:
    """Load one event, like ``trackml.dataset.load_event``.

    Parameters
    ----------
    prefix : path
        Event path without the part suffix, e.g. ``data/event000001000``.
    parts : sequence of str
        Which of ``hits``, ``cells``, ``particles``, ``truth`` to load, in that order of return.

    Returns
    -------
    tuple of pandas.DataFrame
        One frame per requested part, TrackML column names and dtypes (mm, GeV).
    """
    parts = _check_parts(parts)
    paths = {part: _find_file(Path(prefix), part) for part in parts}
    frames = {part: read_part(_path_opener(path), str(path), part)
              for part, path in paths.items()}
    _check_event(frames, {part: str(path) for part, path in paths.items()})
    return tuple(frames[part] for part in parts)


def load_event_parts(prefix: str | Path) -> tuple[pd.DataFrame | None, ...]:
    """``(hits, cells, particles, truth)`` of one event; the optional parts are ``None`` when
    their file is absent (hits are required).  Same validation as :func:`load_event`."""
    present = ["hits"] + [part for part in PARTS[1:] if _existing_file(prefix, part) is not None]
    frames = dict(zip(present, load_event(prefix, parts=present)))
    return tuple(frames.get(part) for part in PARTS)


def _path_opener(path: Path) -> Opener:
    return lambda: path.open("rb")


def _index_files(path: Path) -> dict[int, dict[str, tuple[str, Opener]]]:
    """Map event id -> part -> (display name, opener) for a directory or zip file."""
    index: dict[int, dict[str, tuple[str, Opener]]] = {}
    if path.is_dir():
        entries = [(str(p), _path_opener(p), p.name) for p in sorted(path.iterdir()) if p.is_file()]
    elif path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()

        def zip_opener(member: str) -> Opener:
            def open_member() -> IO[bytes]:
                with zipfile.ZipFile(path) as archive:
                    return io.BytesIO(archive.read(member))
            return open_member

        entries = [(f"{path}:{m}", zip_opener(m), m) for m in sorted(members)]
    elif path.exists():
        raise DataFormatError(f"{path}: not a directory or zip file of TrackML events")
    else:
        raise DataFormatError(f"{path}: dataset not found{resolved_from(path)}")
    for display, opener, name in entries:
        match = _EVENT_FILE.search(name)
        if match:
            index.setdefault(int(match.group(1)), {})[match.group(2)] = (display, opener)
    return index


def list_events(path: str | Path) -> list[tuple[int, str]]:
    """Sorted ``(event_id, prefix)`` of the events in a directory or zip (events with a hits file)."""
    path = Path(path)
    index = _index_files(path)
    return [
        (event_id, index[event_id]["hits"][0].rsplit("-hits", 1)[0])
        for event_id in sorted(index)
        if "hits" in index[event_id]
    ]


def load_dataset(
    path: str | Path,
    skip: int | None = None,
    nevents: int | None = None,
    parts: Sequence[str] = PARTS,
) -> Iterator[tuple]:
    """Iterate over the events of a directory or zip, like ``trackml.dataset.load_dataset``.

    Yields
    ------
    tuple
        ``(event_id, *frames)`` with one DataFrame per requested part, in event-id order.
    """
    parts = _check_parts(parts)
    path = Path(path)
    index = _index_files(path)
    event_ids = sorted(index)
    if not event_ids:
        raise DataFormatError(f"{path}: no TrackML event files (eventNNNNNNNNN-hits.csv[.gz]) found")
    event_ids = event_ids[skip or 0:]
    if nevents is not None:
        event_ids = event_ids[:nevents]
    for event_id in event_ids:
        files = index[event_id]
        frames, names = {}, {}
        for part in parts:
            if part not in files:
                raise DataFormatError(
                    f"{event_prefix(path, event_id)}-{part}.csv: file not found (also tried .csv.gz)"
                )
            names[part], opener = files[part]
            frames[part] = read_part(opener, names[part], part)
        _check_event(frames, names)
        yield (event_id, *(frames[part] for part in parts))
