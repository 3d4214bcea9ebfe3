"""The CLI's error contract: bad input is one ``error: ...`` line and status 2; a bug is one line
naming the exception and the file that holds its full traceback, status 1."""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.testing import CliRunner

from trackgnn.cli import _COMMANDS, cli
from trackgnn.errors import DataFormatError


@click.command("boom")
def _boom() -> None:
    """A command with a bug."""
    {}["missing key"]


@click.command("bad-file")
def _bad_file() -> None:
    """A command that meets bad input."""
    raise DataFormatError("data/event000000001-hits.csv: column 'x' has non-numeric value 'abc' in data row 3")


def test_internal_error_is_one_line_and_the_trace_goes_to_a_file(monkeypatch):
    monkeypatch.setitem(_COMMANDS, "boom", f"{__name__}:_boom")
    result = CliRunner().invoke(cli, ["boom"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    match = re.fullmatch(r"error: internal error: KeyError: 'missing key' \(full trace written to (.+)\)", lines[0])
    assert match, lines[0]
    assert "Traceback" not in result.output
    trace = Path(match.group(1))
    try:
        text = trace.read_text()
        assert text.startswith("Traceback (most recent call last):")
        assert 'in _boom\n    {}["missing key"]' in text and text.rstrip().endswith("KeyError: 'missing key'")
    finally:
        trace.unlink()


def test_bad_input_is_one_line_with_status_2(monkeypatch):
    monkeypatch.setitem(_COMMANDS, "bad-file", f"{__name__}:_bad_file")
    result = CliRunner().invoke(cli, ["bad-file"])
    assert result.exit_code == 2
    assert result.stderr == ("error: data/event000000001-hits.csv: column 'x' has non-numeric value 'abc' "
                             "in data row 3\n")


def test_usage_errors_and_help_keep_click_statuses():
    runner = CliRunner()
    result = runner.invoke(cli, ["no-such-command"])
    assert result.exit_code == 2 and "No such command 'no-such-command'" in result.stderr
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0 and "reconstruct" in result.stdout


def test_chain_options_offer_the_chain_precisions():
    from trackgnn.cli._options import PRECISION_CHOICES
    from trackgnn.pipeline import PRECISIONS

    assert PRECISION_CHOICES == PRECISIONS
