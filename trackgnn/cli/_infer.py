"""``trackgnn infer CONFIG``: write the stage's output events and print their metrics."""

from __future__ import annotations

import click

__all__ = ["infer"]


@click.command("infer")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--skip-existing/--overwrite", default=True, show_default=True,
              help="Reuse outputs written by the same config and checkpoint.")
@click.option("--input", "input_dir", type=click.Path(file_okay=False), default=None,
              help="New events to process instead of the configured splits: a raw TrackML directory "
                   "for the first stage, the previous stage's --output otherwise.  Every hit is kept.")
@click.option("--output", "output_dir", type=click.Path(file_okay=False), default=None,
              help="Where to write the events processed with --input.")
def infer(config: str, skip_existing: bool, input_dir: str | None, output_dir: str | None) -> None:
    """Run the trained stage of CONFIG on every split; one file per event in its stage_dir.

    With --input/--output it runs on new events instead, without hard cuts.
    """
    from trackgnn.errors import ConfigError
    from trackgnn.stages import format_edge_metrics, infer_stage, load_stage_config

    stage, cfg = load_stage_config(config)
    if (input_dir is None) != (output_dir is None):
        raise ConfigError("--input and --output go together")
    if input_dir is not None:
        results = stage.infer_new_events(cfg, input_dir, output_dir,
                                         log=lambda line: click.echo(line, err=True))
        if "all" in results:
            click.echo(format_edge_metrics(results["all"], f"{stage.name} on {input_dir} (all hits)"))
        return
    infer_stage(stage, cfg, skip_existing=skip_existing, log=lambda line: click.echo(line, err=True),
                echo=click.echo)
