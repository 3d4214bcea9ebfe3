"""The measured machine: ceilings, bandwidth ladder, theoretical ratios, files consistent with the JSON.

These run the real compiled ERT kernel on this machine (``--quick``).  The checks of
measured speeds against thresholds are marked ``timing`` (deselected by default: on
shared, loaded CPUs they fail for reasons that are not bugs); run them with
``python -m pytest -m timing``.
"""

from __future__ import annotations

import numpy as np
import pytest

from trackgnn.profiling import cpu_info, machine_markdown
from trackgnn.profiling._cpu_kernels import fma_vector_width


def test_quick_run_writes_report_files(quick_machine):
    out, machine, _ = quick_machine
    assert (out / "machine.json").is_file() and (out / "machine.md").is_file()
    png = (out / "bandwidth.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert machine["quick"] and machine["device"] == "cpu"


@pytest.mark.timing
def test_quick_run_is_quick(quick_machine):
    _, _, elapsed = quick_machine
    # target: < 30 s with compiled kernels cached; this first run also compiles them
    assert elapsed < 60, f"roofline machine --quick took {elapsed:.1f} s"


@pytest.mark.timing
def test_single_core_bandwidth_ladder_is_monotone(quick_machine):
    _, machine, _ = quick_machine
    levels = machine["ceilings"]["memory"]["single_core"]["levels"]
    names = list(levels)
    assert names[0] == "L1" and names[-1] == "DRAM" and len(names) >= 3
    values = [levels[n]["gbs"] for n in names]
    for (upper, a), (lower, b) in zip(zip(names, values), zip(names[1:], values[1:])):
        # L1 and L2 run within ~10 % of each other on Zen 4; allow for noise on shared cores
        assert b <= 1.25 * a, f"{lower} ({b:.1f} GB/s) faster than {upper} ({a:.1f} GB/s)"
    assert values[-1] < 0.6 * values[0], "DRAM should be well below L1"
    # plateau detection itself is tested on synthetic curves; on shared cores some levels can be too noisy
    assert machine["ceilings"]["memory"]["single_core"]["plateaus"], "no plateau found at all"


@pytest.mark.timing
def test_dram_plateau_agrees_with_large_inplace_update(quick_machine):
    _, machine, _ = quick_machine
    copy = machine["ceilings"]["copy"]["single_core"]
    # target 15 % on a quiet machine; shared cores make either side noisy
    assert 0.5 <= copy["dram_over_inplace"] <= 1.6, copy
    assert copy["copy_gbs"] > 0 and copy["array_bytes"] >= 32 * 2**20


@pytest.mark.timing
def test_fp32_peak_reaches_70_percent_of_theory(quick_machine):
    _, machine, _ = quick_machine
    fp32, fp64 = machine["ceilings"]["compute"]["fp32"], machine["ceilings"]["compute"]["fp64"]
    assert fp32["single_core"]["ratio"] >= 0.7, fp32["single_core"]
    assert fp64["single_core"]["ratio"] >= 0.5, fp64["single_core"]
    # FP32 has twice the lanes of FP64 per vector
    assert fp32["single_core"]["gflops"] > 1.4 * fp64["single_core"]["gflops"]
    assert all(g["gflops"] > 0 and g["n"] >= 1024 for g in machine["ceilings"]["gemm"].values())


def test_fma_loop_is_vectorised(roofline_cache):
    info = cpu_info()
    if info.simd_bits < 256:
        pytest.skip("no AVX2/AVX-512 on this CPU")
    assert fma_vector_width("float32") >= 256
    assert fma_vector_width("float64") >= 256


def test_markdown_and_roofs_match_json(quick_machine):
    out, machine, _ = quick_machine
    text = (out / "machine.md").read_text()
    assert text == machine_markdown(machine)
    for precision, modes in machine["ceilings"]["compute"].items():
        for mode, v in modes.items():
            if isinstance(v, dict):
                assert f"| {precision} | {mode} | {v['gflops']:.1f} |" in text
    for name, level in machine["ceilings"]["memory"]["single_core"]["levels"].items():
        assert f"| single_core | {name} | {level['gbs']:.1f} |" in text
    roofs = machine["roofs"]
    assert roofs["compute"]["fp32 FMA"] == max(machine["ceilings"]["compute"]["fp32"]["single_core"]["gflops"],
                                               machine["ceilings"]["compute"]["fp32"]["all_core"]["gflops"])
    assert set(roofs["memory"]) >= {"L1", "DRAM"}
    assert np.isfinite(list(roofs["compute"].values())).all()


def test_cached_result_is_reused(quick_machine, roofline_cache, tmp_path):
    from tests.conftest import run_cli

    _, machine, _ = quick_machine
    result = run_cli("roofline", "machine", "--quick", "--device", "cpu", "--out", tmp_path, "--no-progress")
    assert result.exit_code == 0, result.stderr
    again = (tmp_path / "machine.json").read_text()
    assert f'"created_unix": {machine["created_unix"]}' in again
