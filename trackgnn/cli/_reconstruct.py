"""``trackgnn reconstruct``: TrackML hits in, a submission CSV (event_id, hit_id, track_id) out."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import click

from trackgnn.cli._options import chain_run_options

__all__ = ["reconstruct"]


@contextlib.contextmanager
def _removed_if_left_empty(directory: Path) -> Iterator[None]:
    """On error, remove ``directory`` again if it did not exist before and is still empty."""
    existed = directory.exists()
    try:
        yield
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise


@click.command("reconstruct")
@click.option("--config", "config_path", default="configs/gnn.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="The GNN stage config (its upstream stages come with it).")
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False),
              help="Directory of TrackML hits files (csv or csv.gz; cells used when present; no truth needed).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Writes OUT/submission.csv (all events) and OUT/timing.json.")
@click.option("--checkpoint-dir", default=None, type=click.Path(file_okay=False),
              help="Read checkpoints from DIR/<stage>/best.pt instead of each stage_dir.")
@click.option("--events", "n_events", default=None, type=click.IntRange(min=1), help="At most N events.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Shard the events over this many processes.")
@chain_run_options
def reconstruct(config_path, data_dir, out_dir, checkpoint_dir, n_events, workers, device, precision,
                progress) -> None:
    """Reconstruct tracks for every event of DATA with the trained chain of CONFIG.

    Every hit gets exactly one track_id (hits in no track are tracks of their own), as the
    TrackML scorer requires.
    """
    import json

    import numpy as np
    from tqdm import tqdm

    from trackgnn.config import resolved_from
    from trackgnn.data import list_events
    from trackgnn.errors import MissingInputError
    from trackgnn.pipeline import InferenceChain, reconstruct_events
    from trackgnn.io import atomic_path

    ids = [event_id for event_id, _ in list_events(Path(data_dir))] if Path(data_dir).is_dir() else []
    if not ids:
        raise MissingInputError(f"{data_dir}: no TrackML events found{resolved_from(data_dir)} (expected files like "
                                f"event000001000-hits.csv or .csv.gz)")
    ids = ids[:n_events] if n_events is not None else ids
    chain = InferenceChain(config_path, checkpoint_dir=checkpoint_dir, device=device, precision=precision)  # fail fast
    out = Path(out_dir)
    seconds: dict[str, list[float]] = {}
    n_hits = n_tracks = 0
    with _removed_if_left_empty(out), atomic_path(out / "submission.csv") as tmp, tmp.open("w") as handle:
        handle.write("event_id,hit_id,track_id\n")
        results = reconstruct_events(config_path, data_dir, ids, checkpoint_dir=checkpoint_dir, device=device,
                                     precision=precision,
                                     workers=workers)
        for event_id, submission, event_seconds in tqdm(results, total=len(ids), desc="reconstruct",
                                                        unit="event", disable=not progress):
            submission.to_csv(handle, index=False, header=False)
            n_hits += len(submission)
            counts = submission["track_id"].value_counts()
            n_tracks += int((counts >= 3).sum())
            for step, value in event_seconds.items():
                seconds.setdefault(step, []).append(value)
    timing = {step: float(np.mean(values)) for step, values in seconds.items()}
    with atomic_path(out / "timing.json") as tmp:
        tmp.write_text(json.dumps({"n_events": len(ids), "workers": workers, "track_builder": chain.track_builder,
                                   "seconds_per_event": timing}, indent=1) + "\n")
    shown = "  ".join(f"{k} {v:.3f}" for k, v in timing.items())
    click.echo(f"{len(ids)} events, {n_hits} hits, {n_tracks} tracks with >= 3 hits -> {out / 'submission.csv'}")
    click.echo(f"time per event [s] (per worker): {shown}")
