"""Nsight Compute CSV parsing and cost attribution on a hand-written fixture.

``data/ncu_raw.csv`` follows ``ncu --csv --page raw --print-units base``:
program/``==PROF==`` lines first, a quoted header starting with "ID", a units
row whose first cell is empty, then one row per kernel (numbers may carry
thousands separators).  Values were chosen so every total can be checked by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trackgnn.errors import DataFormatError
from trackgnn.profiling import (
    calibrate_tensor_factor,
    kernel_cost,
    metrics_for,
    ncu_command,
    parse_ncu_csv,
    stage_totals,
)

FIXTURE = Path(__file__).parent / "data" / "ncu_raw.csv"


@pytest.fixture()
def records():
    return parse_ncu_csv(FIXTURE.read_text(), source=str(FIXTURE))


def test_parse_reads_every_kernel_with_base_units(records):
    assert [r.id for r in records] == [0, 1, 2]
    assert records[1].name == "vectorized_elementwise_kernel"
    assert [r.nvtx for r in records] == ["gnn", "gnn", "filter"]
    gemm = records[0].metrics
    assert gemm["dram__bytes.sum"] == 8_388_608
    assert gemm["gpu__time_duration.sum"] == pytest.approx(20_480e-9)  # nsecond -> s
    assert gemm["sm__ops_path_tensor_src_bf16_dst_fp32.sum"] == 68_719_476_736


def test_kernel_cost_counts_fma_twice_and_levels(records):
    cost = kernel_cost(records[2], tensor_factor=2.0)
    assert cost["flops_by_precision"]["fp64"] == 10 + 30 + 2 * 20
    assert cost["flops_by_precision"]["fp16"] == 100 + 300 + 2 * 200
    assert cost["flops_by_precision"]["fp32"] == 0
    assert cost["flops_by_precision"]["tensor"] == 0
    assert cost["bytes_by_level"] == {"L1": 6_291_456, "L2": 4_194_304, "HBM": 4_194_304}
    assert cost["time_s"] == pytest.approx(8_192e-9)
    elementwise = kernel_cost(records[1], tensor_factor=2.0)
    assert elementwise["flops"] == 262_144 + 65_536 + 2 * 131_072


def test_tensor_factor_calibrated_from_a_known_gemm(records):
    n = 4096  # 2 n^3 = 137,438,953,472 FLOPs; the fixture's GEMM reports 2^36 bf16 tensor ops
    factor = calibrate_tensor_factor(records[:1], 2.0 * n**3)
    assert factor == pytest.approx(2.0)
    cost = kernel_cost(records[0], factor)
    assert cost["flops_by_precision"]["tensor"] == pytest.approx(2.0 * n**3)
    with pytest.raises(DataFormatError, match="no tensor-pipe activity"):
        calibrate_tensor_factor(records[1:], 1e9)


def test_stage_totals_attribute_kernels_by_nvtx(records):
    costs = [kernel_cost(r, 2.0) for r in records]
    totals = stage_totals(costs, ["filter", "gnn"])
    assert totals["gnn"]["n_kernels"] == 2 and totals["filter"]["n_kernels"] == 1
    assert totals["gnn"]["time_s"] == pytest.approx((20_480 + 4_096) * 1e-9)
    assert totals["gnn"]["bytes_by_level"]["HBM"] == 8_388_608 + 2_097_152
    assert totals["gnn"]["flops"] == pytest.approx(costs[0]["flops"] + costs[1]["flops"])


def test_metric_sets_per_architecture():
    volta, ampere, hopper = metrics_for(7), metrics_for(8), metrics_for(9)
    assert "sm__inst_executed_pipe_tensor.sum" in volta
    assert not any("ops_path" in m for m in volta + ampere)
    assert "sm__ops_path_tensor_src_bf16_dst_fp32.sum" in hopper
    for metrics in (volta, ampere, hopper):
        assert {"dram__bytes.sum", "lts__t_bytes.sum", "l1tex__t_bytes.sum"} <= set(metrics)
    listed = "sm__ops_path_tensor_src_fp16_dst_fp32  Number of ...\nsm__inst_executed_pipe_tensor ..."
    filtered = metrics_for(9, available=listed)
    assert "sm__ops_path_tensor_src_fp16_dst_fp32.sum" in filtered
    assert "sm__ops_path_tensor_src_bf16_dst_fp32.sum" not in filtered
    cmd = ncu_command("ncu", ["a.sum", "b.sum"], ["python", "x.py"], nvtx_range="gnn")
    assert cmd[:5] == ["ncu", "--csv", "--page", "raw", "--print-units"]
    assert cmd[cmd.index("--metrics") + 1] == "a.sum,b.sum"
    assert cmd[cmd.index("--nvtx-include") + 1] == "gnn/"
    assert cmd[-2:] == ["python", "x.py"]


def test_bad_csv_errors_name_the_problem(tmp_path):
    with pytest.raises(DataFormatError, match=r"out\.csv: no ncu CSV header"):
        parse_ncu_csv("==PROF== nothing profiled\n", source="out.csv")
    assert parse_ncu_csv("==PROF== nothing profiled\n", source="out.csv", empty_ok=True) == []  # a CPU-only stage
    text = FIXTURE.read_text().replace('"8,388,608"', '"lots"')
    with pytest.raises(DataFormatError, match=r"column 'dram__bytes.sum': value 'lots' is not a number"):
        parse_ncu_csv(text, source="out.csv")


def test_context_columns_holding_words_are_skipped():
    # ncu 2025's raw page carries device attributes such as the confidential-computing mode
    lines = FIXTURE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('"ID"'))
    lines[start] += ',"device__attribute_confidential_computing_mode"'
    lines[start + 1] += ',""'
    lines[start + 2:] = [line + ',"No-CC"' if line.startswith('"') else line for line in lines[start + 2:]]
    parsed = parse_ncu_csv("\n".join(lines), source="out.csv")
    assert [r.metrics for r in parsed] == [r.metrics for r in parse_ncu_csv(FIXTURE.read_text())]
    text = FIXTURE.read_text().replace('"8,388,608"', '"lots"')
    with pytest.raises(DataFormatError, match=r"column 'dram__bytes.sum': value 'lots'"):
        parse_ncu_csv(text, source="out.csv", metrics=["dram__bytes.sum"])
    assert "dram__bytes.sum" not in parse_ncu_csv(text, metrics=["gpu__time_duration.sum"])[0].metrics
