"""The ``trackgnn`` command line.

Sub-commands live in their own modules and are imported only when invoked, so
``trackgnn --help`` stays fast.  Any :class:`~trackgnn.errors.TrackGNNError`
is printed as one line (``error: ...``) with exit status 2, never a traceback.
Any other exception is a bug: one line names it and the file in the system temp
directory where its full traceback was written (exit status 1).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import traceback
from typing import Any, Callable

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

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        """Click's ``main`` with trackgnn's error handling in standalone mode (what the console
        script and ``click.testing.CliRunner`` run)."""
        def run() -> Any:
            return super(_LazyGroup, self).main(args, prog_name, complete_var, standalone_mode=False, **extra)

        if not standalone_mode:
            return run()
        sys.exit(_exit_status(run))


def _write_trace() -> str:
    """Write the current exception's traceback to a new file in the temp directory; its path."""
    with tempfile.NamedTemporaryFile("w", prefix="trackgnn-error-", suffix=".txt", delete=False) as handle:
        handle.write(traceback.format_exc())
    return handle.name


def _internal_error(exc: Exception) -> str:
    """The one line shown for an unexpected exception (a bug, not bad input)."""
    lines = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {lines[0][:300] if lines else '(no message)'}"
    try:
        where = f"full trace written to {_write_trace()}"
    except OSError as write_error:
        where = f"could not write the full trace: {write_error}"
    return f"error: internal error: {detail} ({where})"


def _exit_status(run: Callable[[], Any]) -> int:
    """Run the command line; print any error on one line and return the exit status."""
    try:
        code = run()
    except TrackGNNError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # a bug: one line here, the traceback in a file
        click.echo(_internal_error(exc), err=True)
        return 1
    return code if isinstance(code, int) else 0


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trackgnn")
def cli() -> None:
    """trackgnn: GNN particle tracking on TrackML events, with a roofline audit."""


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs :data:`cli` and exits with its status (0, 1 for a bug,
    2 for bad input, 130 when interrupted)."""
    cli.main(args=argv)
