"""Column names and dtypes of the TrackML files (REFERENCE §1)."""

from __future__ import annotations

__all__ = ["PARTS", "COLUMNS", "OPTIONAL_COLUMNS", "FINITE_COLUMNS", "DETECTOR_COLUMNS"]

PARTS: tuple[str, ...] = ("hits", "cells", "particles", "truth")

COLUMNS: dict[str, dict[str, str]] = {
    "hits": {
        "hit_id": "i4", "x": "f4", "y": "f4", "z": "f4",
        "volume_id": "i4", "layer_id": "i4", "module_id": "i4",
    },
    "cells": {"hit_id": "i4", "ch0": "i4", "ch1": "i4", "value": "f4"},
    "particles": {
        "particle_id": "i8", "particle_type": "i4",
        "vx": "f4", "vy": "f4", "vz": "f4", "px": "f4", "py": "f4", "pz": "f4",
        "q": "i4", "nhits": "i4",
    },
    "truth": {
        "hit_id": "i4", "particle_id": "i8",
        "tx": "f4", "ty": "f4", "tz": "f4", "tpx": "f4", "tpy": "f4", "tpz": "f4",
        "weight": "f4",
    },
    "submission": {"event_id": "i4", "hit_id": "i4", "track_id": "i8"},
}

# Columns a file may lack: the first TrackML release has no particle_type.
OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {
    "hits": frozenset(), "cells": frozenset(),
    "particles": frozenset({"particle_type"}), "truth": frozenset(),
    "submission": frozenset({"event_id"}),
}

# Float columns that must be finite (NaN or inf is a format error).
FINITE_COLUMNS: dict[str, tuple[str, ...]] = {
    part: tuple(name for name, dtype in cols.items() if dtype.startswith("f"))
    for part, cols in COLUMNS.items()
}

DETECTOR_COLUMNS: dict[str, str] = {
    "volume_id": "i4", "layer_id": "i4", "module_id": "i4",
    "cx": "f4", "cy": "f4", "cz": "f4",
    **{f"rot_{a}{b}": "f4" for a in "xyz" for b in "uvw"},
    "module_t": "f4", "module_minhu": "f4", "module_maxhu": "f4", "module_hv": "f4",
    "pitch_u": "f4", "pitch_v": "f4",
}
