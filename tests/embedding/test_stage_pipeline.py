"""embedding → filter through the CLI: outputs, metrics, reuse, and the errors a user meets."""

from __future__ import annotations

import json

import torch

from tests.conftest import run_cli
from tests.embedding.conftest import write_config
from trackgnn.processing import event_files, load_event_data
from trackgnn.stages import SPLITS, ensure_stage_ready, load_stage_config


def _run(argv) -> tuple[int, str, str]:
    result = run_cli(*argv)
    return result.exit_code, result.stdout, result.stderr


def test_embedding_then_filter(raw_events, tmp_path):
    emb = write_config("tiny_embedding.yaml", tmp_path, input_dir=str(raw_events))
    filt = write_config("tiny_filter.yaml", tmp_path)

    code, _, err = _run(["infer", str(emb)])
    assert code == 2 and "checkpoint not found; train the stage first with `trackgnn train" in err
    code, _, err = _run(["train", str(filt)])
    assert code == 2
    assert f"runs/embedding: input directory not found; create it with `trackgnn infer {emb}`" in err

    code, out, err = _run(["train", str(emb)])
    assert code == 0, err
    assert "embedding: best epoch" in out and "epoch 4/4" in err
    assert "embedding validation, best model (1 events)" in out and "1-2" in out
    code, out, _ = _run(["infer", str(emb)])
    assert code == 0 and "embedding test (1 events)" in out and "> 2" in out

    stage_dir = tmp_path / "runs" / "embedding"
    for split, n in zip(SPLITS, (3, 1, 1)):
        assert len(event_files(stage_dir / split)) == n
    data = load_event_data(event_files(stage_dir / "test")[0])
    for key in ("hit_id", "particle_id", "pt", "edge_index", "y", "edge_dist", "track_edges", "embedding"):
        assert key in data, key
    assert json.loads(data.stage_config)["config"]["stage"] == "embedding"
    assert bool((data.pt > 1.0).all()) and bool((data.particle_id != 0).all())  # hard cuts
    radius = torch.hypot(data.r.double(), data.z.double())
    assert bool((radius[data.edge_index[0]] <= radius[data.edge_index[1]]).all())  # inner -> outer
    assert torch.equal(data.y, data.particle_id[data.edge_index[0]] == data.particle_id[data.edge_index[1]])
    metrics = json.loads((stage_dir / "metrics.json").read_text())
    assert metrics["infer"]["test"]["overall"]["efficiency"] > 0.9
    assert metrics["train"]["best_epoch"] >= 1

    stamp = event_files(stage_dir / "train")[0].stat().st_mtime_ns
    code, _, _ = _run(["infer", str(emb)])  # skip-existing reuse
    assert code == 0 and event_files(stage_dir / "train")[0].stat().st_mtime_ns == stamp

    code, _, err = _run(["train", str(filt)])
    assert code == 0, err
    code, out, _ = _run(["infer", str(filt)])
    assert code == 0 and "filter val (1 events)" in out
    filtered = load_event_data(event_files(tmp_path / "runs" / "filter" / "test")[0])
    assert filtered.edge_index.shape[1] < data.edge_index.shape[1]
    assert bool((filtered.edge_score > 0.3).all()) and filtered.y.shape[0] == filtered.edge_index.shape[1]
    assert "x" not in filtered and "edge_attr" not in filtered
    report = json.loads((tmp_path / "runs" / "filter" / "metrics.json").read_text())["infer"]["test"]
    assert report["overall"]["purity"] > json.loads((stage_dir / "metrics.json").read_text())[
        "infer"]["test"]["overall"]["purity"]

    # new raw events: every hit kept (noise and low pT included), stage by stage
    code, out, err = _run(["infer", str(emb), "--input", str(raw_events), "--output", str(tmp_path / "new_emb")])
    assert code == 0, err
    code, out, err = _run(["infer", str(filt), "--input", str(tmp_path / "new_emb"), "--output",
                           str(tmp_path / "new_filt")])
    assert code == 0 and "(all hits)" in out, err
    new = load_event_data(event_files(tmp_path / "new_filt")[0])
    n_hits = sum(1 for _ in open(raw_events / "event000001000-hits.csv")) - 1
    assert new.num_nodes == n_hits and bool((new.particle_id == 0).any()) and bool((new.pt < 1).any())
    assert len(event_files(tmp_path / "new_filt")) == 5

    # everything is current: ensure_stage_ready neither trains nor rewrites
    stamp = event_files(tmp_path / "runs" / "filter" / "val")[0].stat().st_mtime_ns
    assert ensure_stage_ready(filt, log=lambda line: None) == tmp_path / "runs" / "filter"
    assert event_files(tmp_path / "runs" / "filter" / "val")[0].stat().st_mtime_ns == stamp


def test_missing_raw_data_names_the_simulate_command(tmp_path):
    emb = write_config("tiny_embedding.yaml", tmp_path, input_dir=str(tmp_path / "nothing"))
    code, _, err = _run(["train", str(emb)])
    assert code == 2
    assert f"nothing: no TrackML events found; create them with `trackgnn simulate --out {tmp_path / 'nothing'}" in err


def test_runs_without_cells(raw_events, tmp_path):
    """Hits-only events (no cells file) go through preprocessing with zero cluster features."""
    import shutil

    raw = tmp_path / "raw"
    raw.mkdir()
    for f in raw_events.iterdir():
        if "-cells" not in f.name:
            shutil.copy(f, raw / f.name)
    emb = write_config("tiny_embedding.yaml", tmp_path, input_dir=str(raw))
    stage, config = load_stage_config(emb)
    events = stage.data_module(config).events("train")
    assert len(events) == 3 and not events[0].has_cells
    assert float(events[0].cell_count.abs().sum()) == 0.0 and events[0].track_edges.shape[1] > 0
