"""Relative paths in a config are resolved against the working directory, and errors say so."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from tests.cli.conftest import write_untrained_checkpoint
from tests.gnn.conftest import gnn_config
from trackgnn.cli import cli
from trackgnn.stages import load_stage_config


def test_checkpoint_not_found_says_where_relative_paths_were_resolved(raw_event, tmp_path, monkeypatch):
    raw_dir, _ = raw_event
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(project)
    config = gnn_config(project, Path("runs/filter"), stage_dir="runs/gnn")  # relative, as in configs/
    write_untrained_checkpoint(config)
    assert (project / "runs" / "gnn" / "checkpoints" / "best.pt").is_file()
    stage, loaded = load_stage_config(config)
    assert stage.best_checkpoint(loaded)["epoch"] == 0  # from the project directory the checkpoint is found

    monkeypatch.chdir(elsewhere)
    result = CliRunner().invoke(cli, ["reconstruct", "--config", str(config), "--data", str(raw_dir),
                                      "--out", str(tmp_path / "out"), "--no-progress"])
    assert result.exit_code == 2
    assert result.stderr == (f"error: runs/gnn/checkpoints/best.pt: checkpoint not found (resolved relative to "
                             f"{elsewhere}); train the stage first with `trackgnn train {config}`\n")


def test_upstream_configs_are_not_looked_up_beside_the_config(tmp_path, monkeypatch):
    configs = tmp_path / "project" / "configs"
    configs.mkdir(parents=True)
    (configs / "embedding.yaml").write_text(yaml.safe_dump({"stage": "embedding"}))
    config = gnn_config(configs, Path("runs/filter"), upstream=["configs/embedding.yaml"])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["train", str(config)])
    assert result.exit_code == 2
    assert result.stderr == (f"error: {config}: upstream config 'configs/embedding.yaml' not found (resolved "
                             f"relative to {tmp_path})\n")


def test_missing_config_file_and_raw_dir_say_where_they_were_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["train", "configs/nowhere.yaml"])
    assert result.stderr == f"error: configs/nowhere.yaml: config file not found (resolved relative to {tmp_path})\n"
    (tmp_path / "emb.yaml").write_text(yaml.safe_dump({"stage": "embedding", "input_dir": "data/raw",
                                                       "stage_dir": "runs/embedding"}))
    result = CliRunner().invoke(cli, ["train", "emb.yaml"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: data/raw: no TrackML events found (resolved relative to {tmp_path}); "
                                    "create them with `trackgnn simulate --out data/raw --events 10`")
