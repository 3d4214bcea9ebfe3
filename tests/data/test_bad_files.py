"""Damaged files and events the geometry cannot place: one DataFormatError naming file, row and value."""

from __future__ import annotations

import re
import zipfile

import pytest

from trackgnn.data import event_prefix, load_dataset, load_event, write_event
from trackgnn.errors import DataFormatError


@pytest.fixture
def gz_dir(tmp_path, small_event):
    write_event(event_prefix(tmp_path, 1000), compress=True, **small_event)
    return tmp_path


def test_corrupt_gzip_body(gz_dir):
    hits = gz_dir / "event000001000-hits.csv.gz"
    hits.write_bytes(hits.read_bytes()[:10] + bytes(range(256)) * 4)  # gzip header, then junk
    with pytest.raises(DataFormatError, match=re.escape(f"{hits}: corrupt gzip data (Error -3 while decompressing")):
        load_event(event_prefix(gz_dir, 1000), parts=["hits"])


def test_truncated_gzip(gz_dir):
    hits = gz_dir / "event000001000-hits.csv.gz"
    hits.write_bytes(hits.read_bytes()[:-40])
    with pytest.raises(DataFormatError, match=re.escape(f"{hits}: malformed CSV (Compressed file ended")):
        load_event(event_prefix(gz_dir, 1000), parts=["hits"])


def test_corrupt_zip_member(tmp_path, small_event):
    text = small_event["hits"].to_csv(index=False).encode()
    archive = tmp_path / "events.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("event000001000-hits.csv", text)
    raw = bytearray(archive.read_bytes())
    start = raw.index(b"event000001000-hits.csv") + len("event000001000-hits.csv")  # deflate data follows
    raw[start + 20:start + 60] = bytes(40)
    archive.write_bytes(bytes(raw))
    with pytest.raises(DataFormatError, match=re.escape(f"{archive}:event000001000-hits.csv: corrupt zip data (")):
        next(load_dataset(archive, parts=["hits"]))
