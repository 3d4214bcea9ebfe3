"""One quick machine characterisation per test session, through the CLI, in a private cache."""

from __future__ import annotations

import json
import os
import time

import pytest


@pytest.fixture(scope="session")
def roofline_cache(tmp_path_factory):
    """Point ``TRACKGNN_CACHE_DIR`` at a session directory (compiled kernels and machine JSON live there)."""
    path = tmp_path_factory.mktemp("trackgnn-cache")
    previous = os.environ.get("TRACKGNN_CACHE_DIR")
    os.environ["TRACKGNN_CACHE_DIR"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("TRACKGNN_CACHE_DIR", None)
    else:
        os.environ["TRACKGNN_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def quick_machine(roofline_cache, tmp_path_factory):
    """``trackgnn roofline machine --quick --device cpu`` run once: (report dir, machine JSON, seconds)."""
    from tests.conftest import run_cli

    out = tmp_path_factory.mktemp("roofline-machine")
    start = time.perf_counter()
    result = run_cli("roofline", "machine", "--quick", "--device", "cpu", "--out", out, "--no-progress")
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0, result.stderr
    return out, json.loads((out / "machine.json").read_text()), elapsed
