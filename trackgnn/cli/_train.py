"""``trackgnn train CONFIG``: train the stage named in a YAML config."""

from __future__ import annotations

import click

__all__ = ["train"]


@click.command("train")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--restart", is_flag=True, help="Ignore existing checkpoints and train from scratch.")
def train(config: str, restart: bool) -> None:
    """Train the stage configured in CONFIG (resumes an interrupted run from its last checkpoint).

    Data-parallel: torchrun --nproc-per-node 2 -m trackgnn train CONFIG
    """
    from trackgnn.stages import load_stage_config, train_stage

    stage, cfg = load_stage_config(config)
    train_stage(stage, cfg, restart=restart, log=lambda line: click.echo(line, err=True), echo=click.echo)
