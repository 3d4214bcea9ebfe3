"""The CPU clock behind the theoretical peak: psutil's cpufreq maximum, else the current clock."""

from __future__ import annotations

from collections import namedtuple

import psutil

from trackgnn.profiling._sysinfo import _clock, cpu_info

Freq = namedtuple("Freq", "current min max")


def test_clock_prefers_the_cpufreq_maximum(monkeypatch):
    monkeypatch.setattr(psutil, "cpu_freq", lambda: Freq(2100.0, 800.0, 3700.0))
    assert _clock() == (3.7, "psutil.cpu_freq max (cpufreq)")
    monkeypatch.setattr(psutil, "cpu_freq", lambda: Freq(2100.0, 0.0, 0.0))  # a VM without cpufreq
    ghz, source = _clock()
    assert ghz == 2.1 and "base clock" in source
    monkeypatch.setattr(psutil, "cpu_freq", lambda: None)
    assert _clock() == (0.0, "unknown")


def test_cpu_info_reports_its_clock_source():
    info = cpu_info()
    assert info.cores >= 1 and info.clock_source
    assert (info.clock_ghz > 0) == (info.clock_source != "unknown")
