"""The long config set (configs/long/): valid stage configs, wired to the default embedding stage, and equal to the
default configs except for the settings its header names, so that it follows every other change of the defaults."""

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


def test_long_configs_load_and_feed_each_other():
    _, embedding = load_stage_config(CONFIGS / "embedding.yaml")
    _, filter_ = load_stage_config(CONFIGS / "long" / "filter.yaml")
    _, gnn = load_stage_config(CONFIGS / "long" / "gnn.yaml")
    assert filter_.input_dir == embedding.stage_dir
    assert gnn.input_dir == filter_.stage_dir
    assert [str(path) for path in gnn.upstream] == ["configs/embedding.yaml", "configs/long/filter.yaml"]
    _, default_filter = load_stage_config(CONFIGS / "filter.yaml")
    _, default_gnn = load_stage_config(CONFIGS / "gnn.yaml")
    # own checkpoints and outputs: training the long set never overwrites the default chain's
    assert filter_.stage_dir != default_filter.stage_dir and gnn.stage_dir != default_gnn.stage_dir


def test_long_configs_differ_from_the_defaults_only_where_documented():
    read = lambda *parts: yaml.safe_load(CONFIGS.joinpath(*parts).read_text())  # noqa: E731
    assert _differences(read("filter.yaml"), read("long", "filter.yaml")) == {
        "stage_dir": ("runs/filter", "runs/long/filter"),
        "score_cut": (0.1, 0.05),
    }
    differences = _differences(read("gnn.yaml"), read("long", "gnn.yaml"))
    assert differences.pop("training.max_epochs")[1] > read("gnn.yaml")["training"]["max_epochs"]
    assert differences == {
        "upstream": (["configs/embedding.yaml", "configs/filter.yaml"],
                     ["configs/embedding.yaml", "configs/long/filter.yaml"]),
        "input_dir": ("runs/filter", "runs/long/filter"),
        "stage_dir": ("runs/gnn", "runs/long/gnn"),
    }
