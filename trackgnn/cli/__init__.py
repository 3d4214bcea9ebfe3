"""The ``trackgnn`` command line.

Sub-commands live in their own modules and are imported only when invoked, so
``trackgnn --help`` stays fast.  Any :class:`~trackgnn.errors.TrackGNNError`
is printed as one line (``error: ...``) with exit status 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from trackgnn.errors import TrackGNNError

__all__ = ["main", "cli"]

# command name -> "module:attribute" of a click.Command
_COMMANDS: dict[str, str] = {
    "roofline": "trackgnn.cli._roofline:roofline",
    "simulate": "trackgnn.cli._simulate:simulate",
    "score": "trackgnn.cli._score:score",
    "train": "trackgnn.cli._train:train",
    "infer": "trackgnn.cli._infer:infer",
    "evaluate": "trackgnn.cli._evaluate:evaluate",
    "reconstruct": "trackgnn.cli._reconstruct:reconstruct",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = _COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trackgnn")
def cli() -> None:
    """trackgnn: GNN particle tracking on TrackML events, with a roofline audit."""


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, standalone_mode=False)
    except TrackGNNError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(0)
