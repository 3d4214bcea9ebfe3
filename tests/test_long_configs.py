"""The long config set (configs/long/): valid stage configs wired to each other, and equal to the default configs
except for the settings its headers name, so that it follows every other change of the defaults."""

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
    _, embedding = load_stage_config(CONFIGS / "long" / "embedding.yaml")
    _, filter_ = load_stage_config(CONFIGS / "long" / "filter.yaml")
    _, gnn = load_stage_config(CONFIGS / "long" / "gnn.yaml")
    assert filter_.input_dir == embedding.stage_dir
    assert gnn.input_dir == filter_.stage_dir
    assert [str(path) for path in gnn.upstream] == ["configs/long/embedding.yaml", "configs/long/filter.yaml"]
    _, default_embedding = load_stage_config(CONFIGS / "embedding.yaml")
    _, default_filter = load_stage_config(CONFIGS / "filter.yaml")
    _, default_gnn = load_stage_config(CONFIGS / "gnn.yaml")
    # own checkpoints and outputs: training the long set never overwrites the default chain's
    assert embedding.stage_dir != default_embedding.stage_dir
    assert filter_.stage_dir != default_filter.stage_dir and gnn.stage_dir != default_gnn.stage_dir
    assert embedding.processed_dir == default_embedding.processed_dir  # the same events, preprocessed once


def test_long_configs_differ_from_the_defaults_only_where_documented():
    read = lambda *parts: yaml.safe_load(CONFIGS.joinpath(*parts).read_text())  # noqa: E731
    differences = _differences(read("embedding.yaml"), read("long", "embedding.yaml"))
    assert differences.pop("training.max_epochs")[1] > read("embedding.yaml")["training"]["max_epochs"]
    assert differences == {
        "stage_dir": ("runs/embedding", "runs/long/embedding"),
        "train_sectors": (None, 8),
        "graph.r": (0.06, 0.08),
        "training.val_every": (None, 16),
        "training.monitor": ("f1", "efficiency"),
    }
    assert _differences(read("filter.yaml"), read("long", "filter.yaml")) == {
        "input_dir": ("runs/embedding", "runs/long/embedding"),
        "stage_dir": ("runs/filter", "runs/long/filter"),
        "score_cut": (0.1, 0.05),
    }
    differences = _differences(read("gnn.yaml"), read("long", "gnn.yaml"))
    assert differences.pop("training.max_epochs")[1] > read("gnn.yaml")["training"]["max_epochs"]
    assert differences == {
        "upstream": (["configs/embedding.yaml", "configs/filter.yaml"],
                     ["configs/long/embedding.yaml", "configs/long/filter.yaml"]),
        "model.num_iterations": (5, 6),
        "input_dir": ("runs/filter", "runs/long/filter"),
        "stage_dir": ("runs/gnn", "runs/long/gnn"),
    }
