"""Graph-building cost per resolved backend (brute force vs KD-tree lower bound), hit selection, quiet profiler."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from trackgnn.graph import knn_within_radius
from trackgnn.graph import resolved_backend_name
from trackgnn.profiling import app_markdown, count_knn, stage_verdicts
from trackgnn.profiling._app import Stage, profile_stages, quiet_kineto
from trackgnn.profiling._counters import TREE_SEARCH_NOTE, count_tree_knn
from trackgnn.profiling._pipeline import describe_hits
from trackgnn.profiling._step_costs import search_cost


def test_auto_resolves_like_the_backend_runs(monkeypatch):
    from trackgnn.graph import _backends

    assert resolved_backend_name("auto", "cpu") == "kdtree"
    assert resolved_backend_name("faiss", "cpu") == "faiss"
    assert resolved_backend_name("torch", "cuda") == "torch"
    monkeypatch.setattr(_backends, "_faiss_has_gpu", lambda: True)
    assert resolved_backend_name("auto", "cuda:0") == "faiss"
    monkeypatch.setattr(_backends, "_faiss_has_gpu", lambda: False)
    assert resolved_backend_name("auto", "cuda") == "torch"
    with pytest.raises(ValueError, match=r"could not resolve graph backend 'ball' among \["):
        resolved_backend_name("ball", "cpu")
    # `auto` dispatches through the same resolution: on CPU it gives the KD-tree's pairs
    x = np.random.default_rng(0).normal(size=(300, 3)).astype(np.float32)
    auto = knn_within_radius(x, 0.8, 5, backend="auto")
    tree = knn_within_radius(x, 0.8, 5, backend="kdtree")
    assert all(np.array_equal(a, b) for a, b in zip(auto, tree))


def test_kdtree_is_charged_its_provable_work_only():
    n, dim, k = 13847, 8, 20
    tree = search_cost("kdtree", n, dim, k)
    # distances to the k + 1 returned candidates (self included), 3 FLOPs per dimension
    assert tree.flops == n * (k + 1) * 3 * dim
    assert tree.matmul_flops == 0  # no GEMM in a tree search: it is never held to the GEMM roof
    assert tree.bytes == 4 * dim * 2 * n + n * (k + 1) * (4 + 8)
    assert tree.lower_bound == TREE_SEARCH_NOTE == "tree search: FLOPs are a lower bound"
    assert tree.to_dict()["lower_bound"] == TREE_SEARCH_NOTE
    brute = search_cost("faiss", n, dim, k)
    assert brute.flops == count_knn(n, n, dim, k).flops > 100 * tree.flops  # all pairs
    assert brute.lower_bound == "" and brute.to_dict()["lower_bound"] is None
    assert search_cost("torch", n, dim, k).flops == brute.flops
    # the note survives sums (graph building = search + edge distances)
    total = tree + count_knn(10, 10, 2, 1)
    assert total.lower_bound == TREE_SEARCH_NOTE and total.scaled(2).lower_bound == TREE_SEARCH_NOTE


def _machine():
    levels = {"L1": {"capacity_bytes": 32e3}, "DRAM": {"capacity_bytes": None}}
    return {"key": "test", "roofs": {"compute": {"fp32 FMA": 100.0, "fp32 GEMM": 200.0},
                                     "memory": {"L1": 500.0, "DRAM": 50.0}},
            "ceilings": {"memory": {"all_core": {"levels": levels}}}}


def test_lower_bound_stage_verdict_and_report():
    tree = count_tree_knn(100_000, 100_000, 8, 21)
    stage = {"name": "graph building", "time_s": 1.0, "flops": tree.flops, "bytes": 1e3,
             "matmul_flops": tree.matmul_flops, "n_ops": 1, "flops_lower_bound": tree.lower_bound}
    (verdict,) = stage_verdicts([stage], _machine(), launch_s=1e-9)
    assert verdict["bound"] == "compute (fp32 FMA, lower bound)"  # FMA roof, never the GEMM roof
    assert verdict["fraction_of_roof"] == pytest.approx(tree.flops / 100e9)
    assert verdict["lower_bound"] == TREE_SEARCH_NOTE
    exact = dict(stage, flops_lower_bound=None)
    assert stage_verdicts([exact], _machine(), 1e-9)[0]["lower_bound"] is None
    record = {**stage, "intensity": 1.0, "gflops": 1.0, "gbs": 1.0, "torch_flop_counter_flops": 0.0,
              "cost": tree.to_dict(), "ops": []}
    md = app_markdown({"config": "c", "device": "cpu", "event": "e", "n_hits": 12345,
                       "hits": "hard cuts: pT >= 1 GeV", "machine_key": "m", "launch_overhead_s": 1e-6,
                       "stages": [record], "verdicts": [verdict]})
    assert "12345 hits (hard cuts: pT >= 1 GeV)" in md
    assert f"≥{verdict['fraction_of_roof']:.3f}" in md
    assert "tree search: FLOPs are a lower bound: the fraction is a lower bound" in md


def test_hits_are_described_by_the_hard_cuts_that_ran():
    from trackgnn.processing import HardCuts

    cuts = HardCuts(pt_min=1.0, remove_noise=True)
    assert describe_hits(cuts, hard_cuts=True) == "hard cuts: pT >= 1 GeV, noise removed"
    assert describe_hits(cuts, hard_cuts=False) == "all hits"
    assert describe_hits(HardCuts(), hard_cuts=True) == "all hits"
    assert describe_hits(HardCuts(min_hits=3, eta_max=2.5), hard_cuts=True) == \
        "hard cuts: >= 3 hits per particle, |eta| <= 2.5"


def test_profiler_chatter_is_dropped_but_other_stderr_kept(capfd):
    with quiet_kineto():
        os.write(2, b"USDT:2026 SyncActivityProfilerHandler.cpp:52] profiler_start\nreal error: kept\n")
    stages = [Stage("double", lambda x: x * 2, lambda x, out: count_knn(1, 1, 1, 1))]
    profiles = profile_stages(stages, torch.ones(4), repeats=1, warmup=False, single_run=True)
    err = capfd.readouterr().err
    assert "USDT:" not in err and "profiler_start" not in err
    assert "real error: kept" in err
    assert len(profiles[0].times_s) == 1 and profiles[0].time_s > 0
