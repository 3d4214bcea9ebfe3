"""Bad input through the CLI: one ``error: <file>: ...`` line, status 2, no partial output."""

from __future__ import annotations

import gzip

from click.testing import CliRunner

from trackgnn.cli import cli


def _gzip_with_garbage_body(text: str) -> bytes:
    """Valid gzip magic and header, then junk instead of the deflate stream."""
    return gzip.compress(text.encode())[:10] + bytes(range(256)) * 4


def test_reconstruct_corrupt_gzip_hits(gnn_chain, raw_event, tmp_path):
    raw_dir, _ = raw_event
    hits = raw_dir / "event000001000-hits.csv"
    corrupt = raw_dir / "event000001000-hits.csv.gz"
    corrupt.write_bytes(_gzip_with_garbage_body(hits.read_text()))
    hits.unlink()
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["reconstruct", "--config", str(gnn_chain), "--data", str(raw_dir),
                                      "--out", str(out), "--no-progress", "--device", "cpu"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {corrupt}: corrupt gzip data (Error -3 while decompressing data: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert not out.exists()  # no partial output, not even the directory
