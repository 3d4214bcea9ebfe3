"""Write TrackML events: same columns and dtypes as the reader, byte-deterministic, atomic."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from trackgnn.data._schema import COLUMNS
from trackgnn.errors import DataFormatError
from trackgnn.io import atomic_path

__all__ = ["write_event", "write_csv"]


def write_csv(frame: pd.DataFrame, path: str | Path, compress: bool | None = None) -> Path:
    """Write ``frame`` as CSV atomically; gzip (with a fixed header, so bytes are reproducible)
    when ``compress`` is true or ``path`` ends with ``.gz``."""
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    payload = frame.to_csv(index=False, lineterminator="\n").encode()
    with atomic_path(path) as tmp:
        if compress:
            with tmp.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                gz.write(payload)
        else:
            tmp.write_bytes(payload)
    return path


def _canonical(frame: pd.DataFrame, part: str) -> pd.DataFrame:
    """Columns of ``part`` in TrackML order and dtype (optional ones only when present)."""
    columns = COLUMNS[part]
    missing = [c for c in columns if c not in frame.columns and not (part == "particles" and c == "particle_type")]
    if missing:
        raise DataFormatError(f"cannot write {part}: missing column {missing[0]!r}")
    return pd.DataFrame({c: frame[c].to_numpy().astype(d) for c, d in columns.items() if c in frame.columns})


def write_event(
    prefix: str | Path,
    *,
    hits: pd.DataFrame | None = None,
    cells: pd.DataFrame | None = None,
    particles: pd.DataFrame | None = None,
    truth: pd.DataFrame | None = None,
    compress: bool = False,
) -> list[Path]:
    """Write the given parts as ``{prefix}-{part}.csv`` (``.csv.gz`` when ``compress``).

    Each file is written to a temporary name and renamed, so a reader never sees a
    partial file.  Returns the paths written.
    """
    suffix = ".csv.gz" if compress else ".csv"
    written = []
    for part, frame in (("hits", hits), ("cells", cells), ("particles", particles), ("truth", truth)):
        if frame is None:
            continue
        written.append(write_csv(_canonical(frame, part), f"{prefix}-{part}{suffix}", compress))
    return written
