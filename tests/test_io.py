"""Atomic writes: nothing half-written is left behind, and a full disk is said in one line."""

from __future__ import annotations

import errno
import shutil
from collections import namedtuple

import pytest
import torch

import trackgnn.io as io
from trackgnn.errors import ResourceError

Usage = namedtuple("Usage", "total used free")


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(ValueError, match="boom"):
        with io.atomic_path(target) as tmp:
            tmp.write_text("new, half")
            raise ValueError("boom")
    assert target.read_text() == "old" and _leftovers(tmp_path) == ["out.json"]


def test_no_space_left_is_a_resource_error_naming_the_file(tmp_path):
    target = tmp_path / "runs" / "event1.pt"
    with pytest.raises(ResourceError, match=r"event1\.pt: could not write it, the disk holding .* is full"):
        with io.atomic_path(target) as tmp:
            tmp.write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert _leftovers(target.parent) == []


def test_torch_short_write_on_a_full_disk_is_a_resource_error(tmp_path, monkeypatch):
    # torch.save reports a short write as a RuntimeError ("unexpected pos ..."), without errno
    def short_write(obj, path):
        open(path, "wb").write(b"PK\x03\x04")
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 17074752 vs 17074672")

    monkeypatch.setattr(torch, "save", short_write)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10 * 2**30, 10 * 2**30 - 2**20, 2**20))
    with pytest.raises(ResourceError, match=r"model\.pt: .* is full \(1 MiB free\)"):
        io.atomic_torch_save({"w": 1}, tmp_path / "model.pt")
    assert _leftovers(tmp_path) == []


def test_other_errors_with_space_left_are_not_called_a_full_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10 * 2**30, 2**30, 9 * 2**30))
    with pytest.raises(RuntimeError, match="unrelated"):
        with io.atomic_path(tmp_path / "x.pt"):
            raise RuntimeError("unrelated")
    assert _leftovers(tmp_path) == []
