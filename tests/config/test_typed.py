from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional

import pytest

from trackgnn.config import from_dict, load_yaml, to_dict
from trackgnn.errors import ConfigError


@dataclass
class Model:
    hidden: int = 64
    activation: Literal["relu", "silu"] = "silu"
    aggregation: list[str] = field(default_factory=lambda: ["sum"])

    def __post_init__(self):
        if self.hidden <= 0:
            raise ValueError(f"hidden must be > 0, got {self.hidden}")


@dataclass
class Stage:
    stage: str
    input_dir: Path
    learning_rate: float = 1e-3
    split: tuple[int, int, int] = (8, 1, 1)
    cut: Optional[float] = None
    model: Model = field(default_factory=Model)


def test_round_trip_and_conversion():
    cfg = from_dict(Stage, {"stage": "gnn", "input_dir": "data", "learning_rate": 1, "split": [4, 2, 2],
                            "model": {"hidden": 32, "aggregation": ["sum", "max"]}})
    assert cfg.input_dir == Path("data") and cfg.learning_rate == 1.0 and cfg.split == (4, 2, 2)
    assert cfg.model == Model(hidden=32, aggregation=["sum", "max"])
    assert from_dict(Stage, to_dict(cfg)) == cfg


@pytest.mark.parametrize("data, message", [
    ({"stage": "gnn", "input_dir": "d", "learnig_rate": 1e-3},
     "config: unknown key 'learnig_rate'; allowed keys are: cut, input_dir, learning_rate, model, split, stage"),
    ({"stage": "gnn", "input_dir": "d", "learning_rate": "fast"}, "config.learning_rate: expected a number, got 'fast'"),
    ({"stage": "gnn", "input_dir": "d", "model": {"hidden": 1.5}}, "config.model.hidden: expected an integer, got 1.5"),
    ({"stage": "gnn", "input_dir": "d", "model": {"hidden": True}}, "config.model.hidden: expected an integer, got True"),
    ({"stage": "gnn", "input_dir": "d", "model": {"activation": "tanh"}},
     "config.model.activation: value 'tanh' is not one of ['relu', 'silu']"),
    ({"stage": "gnn", "input_dir": "d", "split": [1, 2]}, "config.split: expected 3 items, got 2"),
    ({"stage": "gnn", "input_dir": "d", "model": {"hidden": -4}}, "config.model: hidden must be > 0, got -4"),
    ({"input_dir": "d"}, "config: required key 'stage' is missing"),
    ({"stage": "gnn", "input_dir": "d", "model": [1]}, "config.model: expected a mapping of Model settings"),
    ({"stage": "gnn", "input_dir": "d", "cut": "high"}, "config.cut: expected float | null, got 'high'"),
    ({"stage": "gnn", "input_dir": "d", "learning_rate": float("nan")},
     "config.learning_rate: expected a finite number, got nan"),
    ({"stage": "gnn", "input_dir": "d", "learning_rate": float("-inf")},
     "config.learning_rate: expected a finite number, got -inf"),
    ({"stage": "gnn", "input_dir": "d", "cut": float("inf")}, "config.cut: expected a finite number, got inf"),
])
def test_bad_values_name_key_and_value(data, message):
    with pytest.raises(ConfigError) as info:
        from_dict(Stage, data)
    assert str(info.value).startswith(message)


def test_load_yaml_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_yaml(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("stage: [unclosed\n")
    with pytest.raises(ConfigError, match=f"{bad}: not valid YAML"):
        load_yaml(bad)
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="expected a mapping of settings at the top level"):
        load_yaml(bad)


def test_nan_from_yaml_is_rejected(tmp_path):
    path = tmp_path / "stage.yaml"
    path.write_text("stage: gnn\ninput_dir: d\nlearning_rate: .nan\n")
    with pytest.raises(ConfigError) as info:
        from_dict(Stage, load_yaml(path), str(path))
    assert str(info.value) == f"{path}.learning_rate: expected a finite number, got nan"
