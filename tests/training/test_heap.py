"""The heap keeps what a training step frees: reallocating it maps no fresh pages."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys

import pytest

from trackgnn.training import _heap as heap
from trackgnn.training._heap import MALLOC_ENV

# a child process allocates, touches and frees blocks of 1-40 MB in a training step's pattern
# (several alive at once, freed in another order) and prints its minor page faults
_CHURN = """
import resource, sys
import numpy as np
from trackgnn.training._heap import retain_freed_memory
print(retain_freed_memory(), file=sys.stderr)
rng = np.random.default_rng(0)
sizes = rng.integers(1 << 20, 40 << 20, size=(40, 6))
def step(row):
    blocks = [np.ones(int(n) // 8) for n in row]
    return sum(float(b[-1]) for b in blocks[::-1])
step(sizes[0])
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for row in sizes[1:]:
    step(row)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or ctypes.util.find_library("c") is None,
                           reason="mallopt is glibc's")


def _faults(malloc: str | None) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != MALLOC_ENV}
    if malloc is not None:
        env[MALLOC_ENV] = malloc
    done = subprocess.run([sys.executable, "-c", _CHURN], env=env, capture_output=True, text=True, check=True)
    return int(done.stdout.strip()), done.stderr.strip()


@glibc
def test_retained_heap_maps_far_fewer_pages_than_glibcs_defaults():
    retained, applied = _faults(None)
    system, not_applied = _faults("system")
    if applied != "True":
        pytest.skip("this libc has no mallopt")
    assert not_applied == "False"
    # 39 steps of ~120 MB: with glibc's defaults ~2.6k pages mapped afresh a step (~100k), retained ~2k in all
    assert system > 30_000
    assert retained < system / 10


class _FakeLibc:
    """Records ``mallopt`` calls; answers ``result`` (glibc: 1 on success, 0 on failure)."""

    def __init__(self, result: int = 1) -> None:
        self.result = result
        self.calls: list[tuple[int, int]] = []

    def gnu_get_libc_version(self) -> bytes:
        return b"2.99"

    def mallopt(self, param, value) -> int:
        self.calls.append((param.value, value.value))
        return self.result


def test_retain_sets_the_three_thresholds_once(monkeypatch):
    fake = _FakeLibc()
    monkeypatch.setattr(heap, "_applied", False)
    monkeypatch.setattr(heap, "_libc", lambda: fake)
    monkeypatch.delenv(MALLOC_ENV, raising=False)
    assert heap.retain_freed_memory() is True
    assert sorted(fake.calls) == sorted([(-3, heap.MMAP_THRESHOLD), (-1, heap.TRIM_THRESHOLD), (-2, heap.TOP_PAD)])
    assert heap.retain_freed_memory() is True
    assert len(fake.calls) == 3  # not set again


def test_retain_leaves_glibcs_defaults_when_asked_or_refused(monkeypatch):
    fake = _FakeLibc()
    monkeypatch.setattr(heap, "_applied", False)
    monkeypatch.setattr(heap, "_libc", lambda: fake)
    monkeypatch.setenv(MALLOC_ENV, "System")
    assert heap.retain_freed_memory() is False
    assert fake.calls == []
    monkeypatch.delenv(MALLOC_ENV)
    monkeypatch.setattr(heap, "_libc", lambda: None)  # no glibc
    assert heap.retain_freed_memory() is False
    refusing = _FakeLibc(result=0)
    monkeypatch.setattr(heap, "_libc", lambda: refusing)
    assert heap.retain_freed_memory() is False
    assert heap._applied is False  # tried again next time
