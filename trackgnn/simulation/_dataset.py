"""Simulate many events into a TrackML dataset directory, in parallel processes."""

from __future__ import annotations

import gzip
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from importlib import resources
from pathlib import Path

from trackgnn.config import to_dict
from trackgnn.errors import ConfigError, DataFormatError
from trackgnn.io import atomic_path
from trackgnn.simulation._config import SimulationConfig

__all__ = ["simulate_dataset", "write_simulated_event", "write_detectors"]


def write_detectors(out_dir: str | Path) -> Path:
    """Copy the packaged TrackML ``detectors.csv`` (the geometry of the events) into ``out_dir``."""
    path = Path(out_dir) / "detectors.csv"
    source = resources.files("trackgnn.data").joinpath("resources/detectors.csv.gz")
    payload = gzip.decompress(source.read_bytes())
    if path.is_file() and path.read_bytes() == payload:
        return path
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return path


def write_simulated_event(event_id: int, config: SimulationConfig, out_dir: str | Path, compress: bool) -> Path:
    """Simulate event ``event_id`` and write its four files; returns the event prefix.

    A top-level function, so worker processes started with ``spawn`` can run it.
    """
    from trackgnn.data import event_prefix, write_event
    from trackgnn.simulation._event import simulate_event

    frames = simulate_event(event_id, config)
    prefix = event_prefix(out_dir, event_id)
    write_event(prefix, hits=frames.hits, cells=frames.cells, particles=frames.particles, truth=frames.truth,
                compress=compress)
    return prefix


def _write_one(args: tuple[int, SimulationConfig, str, bool]) -> Path:
    return write_simulated_event(*args)


def simulate_dataset(
    out_dir: str | Path,
    n_events: int,
    config: SimulationConfig,
    workers: int = 1,
    first_event_id: int = 1000,
    progress: bool = True,
    compress: bool = False,
) -> list[Path]:
    """Simulate events ``first_event_id ... first_event_id + n_events - 1`` into ``out_dir``.

    Each event is seeded from ``(config.seed, event_id)`` alone, so the files
    do not depend on ``workers``.  ``detectors.csv`` is copied beside them and
    ``simulation.json`` records the configuration and the event ids.

    Parameters
    ----------
    out_dir : path
        Output directory (created if missing).
    n_events : int
        Number of events (>= 1).
    config : SimulationConfig
    workers : int
        Worker processes (1 = simulate in this process).
    first_event_id : int
        Id of the first event; TrackML's training events start at 1000.
    progress : bool
        Show a tqdm progress bar.
    compress : bool
        Write ``.csv.gz`` instead of ``.csv``.

    Returns
    -------
    list of Path
        The event prefixes (``out_dir/event000001000``, ...), in event order.
    """
    from tqdm import tqdm

    if n_events < 1:
        raise ConfigError(f"simulate: number of events must be >= 1, got {n_events}")
    if workers < 1:
        raise ConfigError(f"simulate: number of workers must be >= 1, got {workers}")
    if first_event_id < 0 or first_event_id + n_events > 10**9:
        raise ConfigError(f"simulate: event ids must lie in [0, 999999999], got first id {first_event_id}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DataFormatError(f"{out_dir}: output path exists and is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_detectors(out_dir)
    record = {"config": to_dict(config), "first_event_id": first_event_id, "n_events": n_events}
    with atomic_path(out_dir / "simulation.json") as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n")
    jobs = [(first_event_id + i, config, str(out_dir), compress) for i in range(n_events)]
    bar = tqdm(total=n_events, desc="simulate", unit="event", disable=not progress)
    prefixes: list[Path] = []
    try:
        if workers == 1:
            for job in jobs:
                prefixes.append(_write_one(job))
                bar.update()
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(workers, n_events), mp_context=context) as pool:
                for prefix in pool.map(_write_one, jobs):
                    prefixes.append(prefix)
                    bar.update()
    finally:
        bar.close()
    return prefixes
