"""Application roofline on real torch modules: profiler, analytic costs, verdicts, plots, report, CLI errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from trackgnn.profiling import (
    Stage,
    app_markdown,
    app_roofline,
    count_connected_components,
    count_knn,
    count_message_passing,
    count_mlp,
    profile_stages,
)
from trackgnn.profiling._app import REFERENCE_FORWARD

from tests.conftest import run_cli

from .test_roofline_counters import InteractionLayer


def toy_pipeline(n_hits: int = 1500, k: int = 8, seed: int = 0):
    """Embedding MLP -> kNN graph -> 2 message-passing steps -> connected components, on random hits."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    torch.manual_seed(seed)
    embed = nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 8)).eval()
    gnn = InteractionLayer(8, 16).eval()
    hits = torch.randn(n_hits, 3)

    def knn(z):
        d = torch.cdist(z, z)
        idx = d.topk(k + 1, largest=False).indices[:, 1:]
        src = torch.arange(z.shape[0]).repeat_interleave(k)
        return z, torch.stack([src, idx.reshape(-1)])

    def message_passing(graph):
        z, edges = graph
        for _ in range(2):
            z = gnn(z, edges)
        return z, edges

    def components(graph):
        z, edges = graph
        e = edges.numpy()
        adj = coo_matrix((np.ones(e.shape[1]), (e[0], e[1])), shape=(z.shape[0],) * 2)
        return connected_components(adj, directed=False)[1]

    n_edges = n_hits * k
    stages = [
        Stage("embedding", embed, lambda x, out: count_mlp(embed, x.shape[0])),
        Stage("graph building", knn, lambda z, out: count_knn(z.shape[0], z.shape[0], z.shape[1], k + 1)),
        Stage("gnn", message_passing, lambda g, out: count_message_passing(
            n_hits, n_edges, 8, edge_mlp=gnn.edge_mlp, node_mlp=gnn.node_mlp).scaled(2)),
        Stage("track building", components, lambda g, out: count_connected_components(n_hits, n_edges)),
    ]
    return stages, hits


def test_profile_stages_times_and_counts():
    stages, hits = toy_pipeline()
    profiles = profile_stages(stages, hits, repeats=2)
    assert [p.name for p in profiles] == ["embedding", "graph building", "gnn", "track building"]
    for p in profiles:
        assert p.time_s > 0 and len(p.times_s) == 2
        assert p.time_s == pytest.approx(float(np.median(p.times_s)))
    emb, graph, gnn, tracks = profiles
    assert emb.cost.flops == count_mlp(stages[0].run, 1500).flops
    # torch's counter sees the embedding matmuls exactly, none of the GNN's scatter work
    assert emb.torch_flop_counter_flops == emb.cost.matmul_flops
    assert gnn.torch_flop_counter_flops == pytest.approx(gnn.cost.matmul_flops)
    assert gnn.cost.flops > gnn.torch_flop_counter_flops
    assert tracks.cost.flops == 0 and tracks.cost.bytes > 0
    assert emb.ops and emb.ops[0]["self_cpu_s"] >= emb.ops[-1]["self_cpu_s"]
    assert any("addmm" in op["name"] or "linear" in op["name"] for op in emb.ops)
    assert gnn.n_ops > emb.n_ops


def test_app_outputs_and_verdicts(quick_machine, tmp_path):
    _, machine, _ = quick_machine
    stages, hits = toy_pipeline()
    app = app_roofline(profile_stages(stages, hits, repeats=2), machine, tmp_path, device="cpu",
                       precision="fp32", config="toy", event="random", repeats=2, track_builder="walkthrough")
    on_disk = json.loads((tmp_path / "app.json").read_text())
    assert on_disk["verdicts"] == json.loads(json.dumps(app["verdicts"]))
    for name in ("roofline_hierarchical.png", "roofline_time.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "app.md").read_text() == app_markdown(on_disk)
    assert on_disk["track_builder"] == "walkthrough" and "track builder `walkthrough`" in app_markdown(on_disk)
    # the report says which forward the network stages were timed on (reconstruct runs the faster inference paths)
    assert on_disk["timing"] == "median of 2 runs after a warm-up run; " + REFERENCE_FORWARD
    assert "reference forward" in app_markdown(on_disk)
    text = (tmp_path / "app.md").read_text()
    for stage, verdict in zip(on_disk["stages"], on_disk["verdicts"]):
        assert verdict["stage"] == stage["name"]
        terms = verdict["terms_s"]
        assert verdict["roof_time_s"] == max(terms.values())
        assert verdict["bound"] == max(terms, key=terms.get)
        assert verdict["speedup_available"] == pytest.approx(stage["time_s"] / verdict["roof_time_s"])
        assert f"| {stage['name']} | {stage['time_s'] * 1e3:.2f} |" in text
        assert f"{verdict['bound']} | {verdict['fraction_of_roof']:.3f} |" in text
    tracks = on_disk["verdicts"][-1]
    assert not tracks["bound"].startswith("compute")  # no FLOPs: memory or launch bound
    assert on_disk["launch_overhead_s"] > 0
    assert "unavailable" in on_disk["hardware_counters"] or "perf" in on_disk["hardware_counters"]


def test_app_without_trained_pipeline_names_the_command(tmp_path, roofline_cache):
    config = tmp_path / "configs" / "gnn.yaml"
    result = run_cli("roofline", "app", "--config", config, "--device", "cpu", "--out", tmp_path / "r")
    assert result.exit_code == 2
    err = result.stderr
    assert err.startswith("error: roofline app: config") and f"trackgnn train {config}" in err
    assert not (tmp_path / "r").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on machines without CUDA")
def test_cuda_without_gpu_is_a_clear_error(tmp_path, roofline_cache):
    result = run_cli("roofline", "machine", "--device", "cuda", "--quick", "--out", tmp_path)
    assert result.exit_code == 2
    assert "no CUDA device is visible" in result.stderr
