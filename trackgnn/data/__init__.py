"""TrackML data layer: read, validate and write events in the TrackML CSV format.

The API mirrors the trackml library (``load_event``, ``load_dataset``) without depending on it.
"""

from trackgnn.data._detectors import check_hit_modules, load_detectors, unknown_modules
from trackgnn.data._reader import event_prefix, list_events, load_dataset, load_event, load_event_parts
from trackgnn.data._schema import COLUMNS, PARTS
from trackgnn.data._writer import write_csv, write_event

__all__ = [
    "COLUMNS",
    "PARTS",
    "check_hit_modules",
    "event_prefix",
    "list_events",
    "load_dataset",
    "load_detectors",
    "load_event",
    "load_event_parts",
    "unknown_modules",
    "write_csv",
    "write_event",
]
