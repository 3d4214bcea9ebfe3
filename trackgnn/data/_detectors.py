"""The TrackML detector geometry (detectors.csv), shipped as package data."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from trackgnn.data._schema import DETECTOR_COLUMNS
from trackgnn.errors import DataFormatError

__all__ = ["load_detectors", "DETECTORS_RESOURCE"]

DETECTORS_RESOURCE = "resources/detectors.csv.gz"


def load_detectors(path: str | Path | None = None) -> pd.DataFrame:
    """One row per module: ids, centre (mm), rotation, thickness, half-sizes, pitches.

    Parameters
    ----------
    path : path, optional
        A ``detectors.csv[.gz]``; the packaged TrackML geometry (18,728 modules) by default.
    """
    if path is None:
        source = resources.files("trackgnn.data").joinpath(DETECTORS_RESOURCE)
        with resources.as_file(source) as real:
            frame = pd.read_csv(real)
        name = f"trackgnn/data/{DETECTORS_RESOURCE}"
    else:
        path = Path(path)
        if not path.is_file():
            raise DataFormatError(f"{path}: detectors file not found")
        try:
            frame = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
            raise DataFormatError(f"{path}: malformed CSV ({exc})") from None
        name = str(path)
    missing = [c for c in DETECTOR_COLUMNS if c not in frame.columns]
    if missing:
        raise DataFormatError(f"{name}: missing column {missing[0]!r}")
    return frame[list(DETECTOR_COLUMNS)].astype(DETECTOR_COLUMNS)
