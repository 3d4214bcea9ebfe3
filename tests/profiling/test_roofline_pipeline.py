"""``roofline app`` on the real pipeline: config chain, missing checkpoints, and a tiny trained pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trackgnn.errors import MissingInputError
from trackgnn.profiling._pipeline import pipeline_chain, pipeline_stages


def write_configs(root: Path, epochs: int = 1) -> Path:
    configs = root / "configs"
    configs.mkdir(parents=True)
    (configs / "embedding.yaml").write_text(
        f"stage: embedding\ninput_dir: {root / 'raw'}\nstage_dir: {root / 'stages/embedding'}\n"
        f"processed_dir: {root / 'processed'}\ndata_split: [1, 1, 1]\n"
        "model: {hidden: 32, n_layers: 2, out_dim: 8}\ngraph: {r: 0.2, k: 20, backend: faiss}\n"
        f"training: {{max_epochs: {epochs}}}\n")
    (configs / "filter.yaml").write_text(
        f"stage: filter\ninput_dir: {root / 'stages/embedding'}\nstage_dir: {root / 'stages/filter'}\n"
        f"data_split: [1, 1, 1]\nmodel: {{hidden: 32, n_layers: 2}}\ntraining: {{max_epochs: {epochs}}}\n")
    return configs


def test_chain_is_followed_back_to_the_raw_data(tmp_path):
    configs = write_configs(tmp_path)
    chain = pipeline_chain(configs / "filter.yaml")
    assert [stage.name for stage, _ in chain] == ["embedding", "filter"]
    with pytest.raises(MissingInputError) as err:
        pipeline_stages(configs / "filter.yaml", "cpu")
    assert f"run `trackgnn train {configs / 'embedding.yaml'}` first" in str(err.value)
    assert "stage 'embedding' has no trained checkpoint" in str(err.value)


@pytest.mark.slow
def test_app_on_a_tiny_trained_pipeline(tmp_path, quick_machine, capsys):
    from trackgnn.cli import main

    configs = write_configs(tmp_path)
    commands = [["simulate", "--out", str(tmp_path / "raw"), "--events", "3", "--pileup", "3"],
                ["train", str(configs / "embedding.yaml")], ["infer", str(configs / "embedding.yaml")],
                ["train", str(configs / "filter.yaml")],
                ["roofline", "--quick", "--device", "cpu", "--config", str(configs / "filter.yaml"),
                 "--out", str(tmp_path / "report"), "--no-progress"]]  # bare: machine (cached) + app
    for argv in commands:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0, (argv, capsys.readouterr().err[-2000:])
    report = tmp_path / "report"
    assert {"machine.json", "machine.md", "bandwidth.png", "app.json", "app.md", "roofline_hierarchical.png",
            "roofline_time.png"} <= {p.name for p in report.iterdir()}
    app = json.loads((report / "app.json").read_text())
    assert app["machine_key"] == json.loads((report / "machine.json").read_text())["key"]
    assert [s["name"] for s in app["stages"]] == ["embedding", "graph building", "filter", "track building"]
    by_name = {s["name"]: s for s in app["stages"]}
    assert by_name["embedding"]["flops"] > 0 and by_name["embedding"]["torch_flop_counter_flops"] > 0
    assert by_name["graph building"]["matmul_flops"] > 0  # all-pairs distances
    assert by_name["filter"]["torch_flop_counter_flops"] == pytest.approx(by_name["filter"]["matmul_flops"])
    assert by_name["track building"]["flops"] == 0
    assert {v["stage"] for v in app["verdicts"]} == set(by_name)
    out = capsys.readouterr().out
    assert "application report" in out and "of roof" in out


REPO_GNN_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "gnn.yaml"


def _gnn_registered() -> bool:
    from trackgnn.stages import STAGES

    return "gnn" in STAGES and REPO_GNN_CONFIG.is_file()


@pytest.mark.slow
@pytest.mark.skipif(not _gnn_registered(), reason="the gnn stage is not registered")
def test_app_on_the_inference_chain(tmp_path, quick_machine, capsys):
    """The five stages of ``trackgnn reconstruct``'s chain, GNN and triplet head included."""
    import yaml

    from trackgnn.cli import main

    configs = write_configs(tmp_path)
    gnn = yaml.safe_load(REPO_GNN_CONFIG.read_text())
    gnn.update(upstream=[str(configs / "embedding.yaml"), str(configs / "filter.yaml")],
               input_dir=str(tmp_path / "stages/filter"), stage_dir=str(tmp_path / "stages/gnn"),
               data_split=[1, 1, 1])
    gnn["training"]["max_epochs"] = 1
    (configs / "gnn.yaml").write_text(yaml.safe_dump(gnn))
    commands = [["simulate", "--out", str(tmp_path / "raw"), "--events", "3", "--pileup", "3"]]
    for stage in ("embedding", "filter"):
        commands += [["train", str(configs / f"{stage}.yaml")], ["infer", str(configs / f"{stage}.yaml")]]
    commands += [["train", str(configs / "gnn.yaml")],
                 ["roofline", "app", "--quick", "--device", "cpu", "--config", str(configs / "gnn.yaml"),
                  "--out", str(tmp_path / "report"), "--no-progress"]]
    for argv in commands:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0, (argv, capsys.readouterr().err[-2000:])
    app = json.loads((tmp_path / "report" / "app.json").read_text())
    names = [s["name"] for s in app["stages"]]
    assert names == ["embedding", "graph building", "filter", "gnn", "track building"]
    # these configs have no hard cuts: every hit of the event runs, and the report says how many
    assert app["hits"] == "all hits" and app["n_hits"] > 0
    assert app["timing"] == "one cold run, under the profiler"
    assert app["stages"][1]["flops_lower_bound"] is None  # faiss: brute force, an exact count
    gnn_stage = app["stages"][3]
    # every matmul of the interaction network and the triplet head is counted exactly
    assert gnn_stage["matmul_flops"] == pytest.approx(gnn_stage["torch_flop_counter_flops"])
    assert gnn_stage["flops"] > gnn_stage["matmul_flops"]
