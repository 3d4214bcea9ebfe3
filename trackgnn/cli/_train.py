"""``trackgnn train CONFIG``: train the stage named in a YAML config."""

from __future__ import annotations

import os

import click

__all__ = ["train"]


@click.command("train")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--restart", is_flag=True, help="Ignore existing checkpoints and train from scratch.")
def train(config: str, restart: bool) -> None:
    """Train the stage configured in CONFIG (resumes an interrupted run from its last checkpoint).

    Data-parallel: torchrun --nproc-per-node 2 -m trackgnn train CONFIG
    """
    from trackgnn.stages import (
        format_edge_metrics,
        format_train_result,
        load_stage_config,
        update_metrics_json,
    )

    stage, cfg = load_stage_config(config)
    log = lambda line: click.echo(line, err=True)  # noqa: E731
    result = stage.train(cfg, restart=restart, log=log)
    if int(os.environ.get("RANK", "0")) == 0:
        click.echo(format_train_result(result))
        if result.get("validation"):
            click.echo(format_edge_metrics(result["validation"], f"{stage.name} validation, best model "
                                           f"({result['validation']['n_events']} events)"))
        path = update_metrics_json(cfg.stage_dir, "train", result)
        click.echo(f"checkpoints in {stage.checkpoint_dir(cfg)}; metrics in {path}")
