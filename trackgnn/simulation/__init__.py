"""TrackML-like event simulation on the real TrackML detector geometry.

Pile-up vertices, charged particles with the measured pT / eta / charge
distributions, helices in a 2 T solenoid with multiple scattering, hits on the
actual modules of ``detectors.csv`` (overlaps give two hits on one layer, gaps
none), pixel/strip clusters, inefficiency, secondaries and noise; the output
is the four TrackML files per event.

With default settings ten events average 11.8k particles and 122k hits, and
reproduce the real median pT, fraction above 1 GeV, median |eta|, median
number of hits per particle and barrel-layer radii (``trackgnn simulate
--stats`` prints them next to the real values).  Known differences: few
particles without hits (1.6 % vs 14 % in real events), and the outer barrel
layers get relatively fewer hits than in real events (long strips 0.45 of the
innermost pixel layer vs 0.69).
"""

from trackgnn.simulation._config import SimulationConfig
from trackgnn.simulation._dataset import simulate_dataset, write_detectors, write_simulated_event
from trackgnn.simulation._event import EventFrames, simulate_event
from trackgnn.simulation._geometry import Geometry, load_geometry
from trackgnn.simulation._particles import decode_particle_id, encode_particle_id
from trackgnn.simulation._statistics import (
    CALIBRATION_RANGES,
    REAL_EVENT,
    calibration_failures,
    event_statistics,
    format_statistics,
)

__all__ = [
    "SimulationConfig",
    "EventFrames",
    "simulate_event",
    "simulate_dataset",
    "write_simulated_event",
    "write_detectors",
    "Geometry",
    "load_geometry",
    "encode_particle_id",
    "decode_particle_id",
    "event_statistics",
    "calibration_failures",
    "format_statistics",
    "REAL_EVENT",
    "CALIBRATION_RANGES",
]
