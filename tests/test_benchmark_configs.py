"""The pT > 1 GeV benchmark config set (configs/benchmark/) still trains from nothing and evaluates.

Its YAMLs are used as they are, with tiny model sizes, few epochs and temporary paths: the hard
cuts, features and stage wiring under test are the benchmark's own.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import run_cli

BENCHMARK = Path(__file__).resolve().parents[1] / "configs" / "benchmark"


def _shrunk(name: str, root: Path, **overrides) -> Path:
    data = yaml.safe_load((BENCHMARK / f"{name}.yaml").read_text())
    data.update(data_split=[3, 1, 1], stage_dir=str(root / "runs" / name))
    data["training"].update(max_epochs=overrides.pop("epochs"), progress=False)
    for key, value in overrides.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and isinstance(data.get(key), dict) else value
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_benchmark_configs_train_and_evaluate_in_hard_cut_mode(tmp_path):
    for name in ("embedding", "filter", "gnn"):
        assert yaml.safe_load((BENCHMARK / f"{name}.yaml").read_text())["hard_cuts"] == {
            "pt_min": 1.0, "remove_noise": True, "min_hits": 0}
    emb = _shrunk("embedding", tmp_path, epochs=4, input_dir=str(tmp_path / "raw"),
                  processed_dir=str(tmp_path / "processed"), pairs={"points_per_batch": 500},
                  graph={"k": 10})
    filt = _shrunk("filter", tmp_path, epochs=6, input_dir=str(tmp_path / "runs" / "embedding"),
                   edges_per_batch=20000)
    gnn = _shrunk("gnn", tmp_path, epochs=12, input_dir=str(tmp_path / "runs" / "filter"),
                  upstream=[str(emb), str(filt)], simulation={"seed": 11, "pileup": 10},
                  model={"hidden_channels": 24, "num_iterations": 3}, triplets={"hidden_channels": 24})
    result = run_cli("train", gnn)
    assert result.exit_code == 0, result.stderr[-2000:]
    for name in ("embedding", "filter", "gnn"):
        assert (tmp_path / "runs" / name / "checkpoints" / "best.pt").is_file()
    result = run_cli("evaluate", "--config", gnn, "--hard-cuts", "--out", tmp_path / "eval", "--no-progress")
    printed = result.stdout
    assert result.exit_code == 0, result.stderr[-2000:]
    assert "HARD CUTS" in printed.splitlines()[0]
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["hard_cuts"] is True
    assert metrics["tracks"]["pT > 1 GeV, >= 5 hits"]["efficiency"][0] >= 0.6
