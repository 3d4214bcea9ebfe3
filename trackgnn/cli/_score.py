"""``trackgnn score``: the exact TrackML score of a submission file."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--truth-dir", required=True, type=click.Path(path_type=Path),
              help="Directory or zip of TrackML events with truth and particles files.")
@click.option("--submission", required=True, type=click.Path(path_type=Path),
              help="CSV(.gz) with event_id, hit_id, track_id (one or several events).")
@click.option("--phase", type=click.IntRange(1, 2), default=None,
              help="Recompute weights for TrackML phase 1 (accuracy) or 2 (throughput: primaries only). "
                   "Default: use the truth file's weight column.")
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None,
              help="Also write the per-event scores as JSON.")
def score(truth_dir: Path, submission: Path, phase: int | None, json_out: Path | None) -> None:
    """Print the TrackML score of SUBMISSION against the truth in TRUTH_DIR."""
    import json

    from trackgnn.data import list_events, load_event
    from trackgnn.data._reader import read_part
    from trackgnn.errors import DataFormatError
    from trackgnn.evaluation import score_event, weight_hits
    from trackgnn.io import atomic_path

    if not submission.is_file():
        raise DataFormatError(f"{submission}: submission file not found")
    frame = read_part(lambda: submission.open("rb"), str(submission), "submission")
    if "event_id" not in frame.columns:
        raise DataFormatError(f"{submission}: missing column 'event_id'")
    events = dict(list_events(truth_dir))
    scores: dict[int, float] = {}
    for event_id, tracks in frame.groupby("event_id", sort=True):
        if int(event_id) not in events:
            raise DataFormatError(
                f"{submission}: event_id {event_id} has no truth in {truth_dir} "
                f"(events there: {', '.join(map(str, sorted(events))) or 'none'})"
            )
        truth, particles = load_event(events[int(event_id)], parts=("truth", "particles"))
        if phase is not None:
            truth = weight_hits(truth, particles, phase=phase)
        scores[int(event_id)] = score_event(truth, tracks)
        click.echo(f"event {int(event_id):>9d}  score {scores[int(event_id)]:.6f}")
    mean = sum(scores.values()) / len(scores) if scores else float("nan")
    click.echo(f"mean score over {len(scores)} event(s): {mean:.6f}")
    if json_out is not None:
        with atomic_path(json_out) as tmp:
            tmp.write_text(json.dumps({"events": scores, "mean": mean}, indent=2))
