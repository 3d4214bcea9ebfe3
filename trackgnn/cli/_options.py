"""Options shared by the commands that run the trained chain (``evaluate``, ``reconstruct``)."""

from __future__ import annotations

from typing import Callable

import click

__all__ = ["PRECISION_CHOICES", "chain_run_options"]

#: :data:`trackgnn.pipeline.PRECISIONS`, written out: importing the pipeline here would load torch
#: for ``trackgnn --help`` (a test keeps the two equal).
PRECISION_CHOICES: tuple[str, ...] = ("fp32", "bf16")


def chain_run_options(command: Callable) -> Callable:
    """``--device``, ``--precision`` and ``--progress/--no-progress``, in that order."""
    options = [
        click.option("--device", default="auto", show_default=True, type=click.Choice(["auto", "cpu", "cuda"])),
        click.option("--precision", default="fp32", show_default=True, type=click.Choice(list(PRECISION_CHOICES)),
                     help="bf16: filter and GNN networks under BF16 autocast (see bench/reconstruct.py)."),
        click.option("--progress/--no-progress", default=True, show_default=True),
    ]
    for option in reversed(options):  # click lists options in decoration order
        command = option(command)
    return command
