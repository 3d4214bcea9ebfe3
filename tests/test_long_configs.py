"""The long config (configs/long/gnn.yaml): a valid GNN stage config on the default chain's embedding and filter,
equal to the default GNN config except for the settings its header names, so that it follows every other change of
the defaults."""

from __future__ import annotations

from pathlib import Path

import yaml

from trackgnn.stages import load_stage_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _differences(default: dict, long: dict, prefix: str = "") -> dict[str, tuple]:
    keys = set(default) | set(long)
    out = {}
    for key in sorted(keys):
        a, b = default.get(key), long.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out.update(_differences(a, b, f"{prefix}{key}."))
        elif a != b:
            out[f"{prefix}{key}"] = (a, b)
    return out


def test_long_config_loads_and_reads_the_default_chain():
    _, gnn = load_stage_config(CONFIGS / "long" / "gnn.yaml")
    _, default_filter = load_stage_config(CONFIGS / "filter.yaml")
    _, default_gnn = load_stage_config(CONFIGS / "gnn.yaml")
    assert [str(path) for path in gnn.upstream] == ["configs/embedding.yaml", "configs/filter.yaml"]
    assert gnn.input_dir == default_filter.stage_dir
    # own checkpoints and outputs: training the long GNN never overwrites the default chain's
    assert gnn.stage_dir != default_gnn.stage_dir
    assert sorted(path.name for path in (CONFIGS / "long").iterdir()) == ["gnn.yaml"]


def test_long_config_differs_from_the_default_only_where_documented():
    read = lambda *parts: yaml.safe_load(CONFIGS.joinpath(*parts).read_text())  # noqa: E731
    default = read("gnn.yaml")
    differences = _differences(default, read("long", "gnn.yaml"))
    assert differences.pop("training.max_epochs")[1] > default["training"]["max_epochs"]
    assert differences.pop("model.num_iterations")[1] > default["model"]["num_iterations"]
    assert differences == {"stage_dir": ("runs/gnn", "runs/long/gnn")}
