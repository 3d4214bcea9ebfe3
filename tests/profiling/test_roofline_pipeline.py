"""``roofline app`` profiles the chain ``trackgnn reconstruct`` runs: config errors, and a tiny trained chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli
from trackgnn.errors import CheckpointError, ConfigError

REPO_GNN_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "gnn.yaml"


def write_configs(root: Path, epochs: int = 1) -> Path:
    """Tiny embedding, filter and GNN configs (no hard cuts, the repository's GNN settings)."""
    configs = root / "configs"
    configs.mkdir(parents=True)
    (configs / "embedding.yaml").write_text(
        f"stage: embedding\ninput_dir: {root / 'raw'}\nstage_dir: {root / 'stages/embedding'}\n"
        f"processed_dir: {root / 'processed'}\ndata_split: [1, 1, 1]\n"
        "model: {hidden_channels: 32, num_layers: 2, out_dim: 8}\ngraph: {r: 0.2, k: 20, backend: faiss}\n"
        f"training: {{max_epochs: {epochs}}}\n")
    (configs / "filter.yaml").write_text(
        f"stage: filter\ninput_dir: {root / 'stages/embedding'}\nstage_dir: {root / 'stages/filter'}\n"
        f"data_split: [1, 1, 1]\nmodel: {{hidden_channels: 32, num_layers: 2}}\n"
        f"training: {{max_epochs: {epochs}}}\n")
    gnn = yaml.safe_load(REPO_GNN_CONFIG.read_text())
    gnn.update(upstream=[str(configs / "embedding.yaml"), str(configs / "filter.yaml")],
               input_dir=str(root / "stages/filter"), stage_dir=str(root / "stages/gnn"),
               data_split=[1, 1, 1], hard_cuts={})
    gnn["training"]["max_epochs"] = epochs
    (configs / "gnn.yaml").write_text(yaml.safe_dump(gnn))
    return configs


def test_only_a_trained_gnn_chain_is_profiled(tmp_path):
    from trackgnn.profiling import profile_chain

    configs = write_configs(tmp_path)
    with pytest.raises(ConfigError, match=r"the roofline profiles the chain `trackgnn reconstruct` runs; "
                                          r"pass its gnn stage config \(this one is stage 'filter'\)"):
        profile_chain(configs / "filter.yaml", "cpu")
    with pytest.raises(CheckpointError) as err:
        profile_chain(configs / "gnn.yaml", "cpu")
    assert f"trackgnn train {configs / 'embedding.yaml'}" in str(err.value)
    result = run_cli("roofline", "app", "--config", configs / "gnn.yaml", "--device", "cpu",
                     "--out", tmp_path / "r")
    assert result.exit_code == 2 and result.stderr.startswith("error: ")
    assert not (tmp_path / "r").exists()


@pytest.fixture(scope="module")
def trained_chain(tmp_path_factory):
    """A tiny trained chain: configs, and its raw events (3, pile-up 3)."""
    root = tmp_path_factory.mktemp("chain")
    configs = write_configs(root)
    result = run_cli("simulate", "--out", root / "raw", "--events", 3, "--pileup", 3)
    assert result.exit_code == 0, result.stderr
    result = run_cli("train", configs / "gnn.yaml")  # trains and runs the upstream stages first
    assert result.exit_code == 0, result.stderr[-2000:]
    return root, configs


@pytest.mark.slow
def test_roofline_profiles_the_steps_reconstruct_times(trained_chain, quick_machine, tmp_path):
    """`roofline --quick` reports reconstruct's timing.json steps, in its order, with its track builder."""
    root, configs = trained_chain
    result = run_cli("reconstruct", "--config", configs / "gnn.yaml", "--data", root / "raw", "--events", 1,
                     "--out", tmp_path / "reco", "--no-progress")
    assert result.exit_code == 0, result.stderr[-2000:]
    timing = json.loads((tmp_path / "reco" / "timing.json").read_text())
    result = run_cli("roofline", "--quick", "--device", "cpu", "--config", configs / "gnn.yaml",
                     "--out", tmp_path / "report", "--no-progress")  # bare: machine (cached) + app
    assert result.exit_code == 0, result.stderr[-2000:]
    app = json.loads((tmp_path / "report" / "app.json").read_text())
    names = [s["name"] for s in app["stages"]]
    assert names == list(timing["seconds_per_event"])
    steps = ["embedding", "graph_building", "filter", "gnn", "track_building"]
    # the repository's GNN config runs a second pass on the hits the first left free (its embedding
    # rows reused from the first pass), a third on the hits still free, then the final extension of the tracks
    later = [f"pass{n}_{step}" for n in (2, 3) for step in ("preprocessing", *steps[1:])]
    assert names == ["preprocessing", *steps, *later, "final_extension"]
    assert app["track_builder"] == timing["track_builder"] == "walkthrough"
    assert "track builder walkthrough" in result.stdout and "application report" in result.stdout


@pytest.mark.slow
def test_app_costs_of_the_chain(trained_chain, quick_machine, tmp_path):
    root, configs = trained_chain
    result = run_cli("roofline", "app", "--quick", "--device", "cpu", "--config", configs / "gnn.yaml",
                     "--out", tmp_path, "--no-progress")
    assert result.exit_code == 0, result.stderr[-2000:]
    assert {"app.json", "app.md", "roofline_hierarchical.png", "roofline_time.png"} <= {
        p.name for p in tmp_path.iterdir()}
    app = json.loads((tmp_path / "app.json").read_text())
    by_name = {s["name"]: s for s in app["stages"]}
    # these configs have no hard cuts: every hit of the event runs, and the report says how many
    assert app["hits"] == "all hits" and app["n_hits"] > 0
    assert app["timing"].startswith("one cold run, under the profiler; networks timed on their reference forward")
    assert by_name["preprocessing"]["flops_lower_bound"] and by_name["preprocessing"]["bytes"] > 0
    assert by_name["embedding"]["flops"] > 0
    assert by_name["embedding"]["torch_flop_counter_flops"] == pytest.approx(by_name["embedding"]["matmul_flops"])
    assert by_name["graph_building"]["matmul_flops"] > 0  # faiss: all-pairs distances, an exact count
    assert by_name["graph_building"]["flops_lower_bound"] is None
    assert by_name["filter"]["torch_flop_counter_flops"] == pytest.approx(by_name["filter"]["matmul_flops"])
    gnn = by_name["gnn"]
    # every matmul of the interaction network and the triplet head is counted exactly
    assert gnn["matmul_flops"] == pytest.approx(gnn["torch_flop_counter_flops"])
    assert gnn["flops"] > gnn["matmul_flops"]
    tracks = by_name["track_building"]
    assert tracks["flops"] == 0 and tracks["bytes"] > 0 and tracks["cost"]["name"].startswith("walk-through")
    assert {v["stage"] for v in app["verdicts"]} == set(by_name)
