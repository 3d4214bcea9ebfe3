"""``trackgnn simulate``: write simulated TrackML events."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("simulate")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output directory for the event files and detectors.csv.")
@click.option("--events", "n_events", default=10, show_default=True, type=click.IntRange(min=1),
              help="Number of events.")
@click.option("--seed", default=None, type=click.IntRange(min=0),
              help="Master random seed [default: 0, or the --config value].")
@click.option("--pileup", default=None, type=click.FloatRange(min=0, max=1000),
              help="Mean number of pile-up vertices [default: 200, or the --config value].")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Parallel worker processes (the files do not depend on it).")
@click.option("--first-event-id", default=1000, show_default=True, type=click.IntRange(min=0),
              help="Id of the first event.")
@click.option("--compress/--no-compress", default=False, show_default=True, help="Write .csv.gz files.")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="YAML file of SimulationConfig fields (command-line options override it).")
@click.option("--stats", is_flag=True,
              help="Print the calibration statistics next to the real TrackML values and write stats.json.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
def simulate(
    out_dir: Path,
    n_events: int,
    seed: int | None,
    pileup: float | None,
    workers: int,
    first_event_id: int,
    compress: bool,
    config_path: Path | None,
    stats: bool,
    progress: bool,
) -> None:
    """Simulate TrackML events (hits, cells, particles, truth) on the TrackML detector."""
    import json

    from trackgnn.config import from_dict, load_yaml, to_dict
    from trackgnn.io import atomic_path
    from trackgnn.simulation import (
        SimulationConfig,
        calibration_failures,
        event_statistics,
        format_statistics,
        simulate_dataset,
    )

    values = dict(load_yaml(config_path)) if config_path is not None else {}
    if seed is not None:
        values["seed"] = seed
    if pileup is not None:
        values["pileup"] = pileup
    config = from_dict(SimulationConfig, values, str(config_path) if config_path is not None else "simulate options")
    prefixes = simulate_dataset(out_dir, n_events, config, workers=workers, first_event_id=first_event_id,
                                progress=progress, compress=compress)
    click.echo(f"wrote {len(prefixes)} events to {out_dir}")
    if stats:
        result = event_statistics(prefixes)
        click.echo(format_statistics(result))
        failures = calibration_failures(result)
        result["calibration_failures"] = failures
        result["config"] = to_dict(config)
        with atomic_path(out_dir / "stats.json") as tmp:
            tmp.write_text(json.dumps(result, indent=2) + "\n")
        if failures and config.replace(seed=0) == SimulationConfig():  # the targets are for default settings
            click.echo("outside the calibration targets: " + "; ".join(failures))
        click.echo(f"wrote {out_dir / 'stats.json'}")
