"""The stage contract, checked on every registered stage: train tiny, resume, infer, reload.

A stage registered without a case here fails: add a tiny config for it to ``CASES``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

import pytest
import torch
import yaml

from tests.embedding.conftest import write_config
from tests.gnn.conftest import gnn_config
from trackgnn.errors import CheckpointError
from trackgnn.processing import event_files, load_event_data
from trackgnn.stages import SPLITS, load_stage_config, registered_stages


def _embedding(root: Path, inputs: dict[str, Path]) -> Path:
    return write_config("tiny_embedding.yaml", root, input_dir=str(inputs["raw"]))


def _filter(root: Path, inputs: dict[str, Path]) -> Path:
    return write_config("tiny_filter.yaml", root, input_dir=str(inputs["embedding"]))


def _gnn(root: Path, inputs: dict[str, Path]) -> Path:
    return gnn_config(root, inputs["filter"])


#: Stage name → ``make(directory, inputs) -> config path`` of a tiny config whose inputs exist.
CASES: dict[str, Callable[[Path, dict[str, Path]], Path]] = {
    "embedding": _embedding, "filter": _filter, "gnn": _gnn}


def _with_epochs(path: Path, epochs: int) -> Path:
    data = yaml.safe_load(path.read_text())
    data.setdefault("training", {})["max_epochs"] = epochs
    data["training"]["patience"] = 0
    path.write_text(yaml.safe_dump(data))
    return path


def _same_event(a, b) -> bool:
    keys = sorted(k for k in a.keys() if k != "stage_config")
    return keys == sorted(k for k in b.keys() if k != "stage_config") and all(
        torch.equal(a[k], b[k]) if torch.is_tensor(a[k]) else a[k] == b[k] for k in keys)


@pytest.mark.parametrize("name", sorted(registered_stages()))
def test_stage_contract(name, tmp_path, raw_events, embedding_outputs, filter_outputs):
    assert name in CASES, f"stage {name!r} is registered but has no contract case in {__file__}"
    inputs = {"raw": raw_events, "embedding": embedding_outputs, "filter": filter_outputs}
    path = _with_epochs(CASES[name](tmp_path, inputs), 2)
    stage, config = load_stage_config(path)
    assert stage.name == name

    # train tiny: two epochs, both checkpoints
    lines: list[str] = []
    first = stage.train(config, log=lines.append)
    assert first["epochs"] == 2 and len(first["history"]) == 2 and 1 <= first["best_epoch"] <= 2
    assert {"best.pt", "last.pt"} <= {p.name for p in stage.checkpoint_dir(config).iterdir()}

    # resume: one more epoch allowed, the first two come from the checkpoint
    stage, config = load_stage_config(_with_epochs(path, 3))
    lines.clear()
    resumed = stage.train(config, log=lines.append)
    assert any(line.startswith("resumed from") for line in lines), lines
    assert resumed["epochs"] == 3 and resumed["history"][:2] == first["history"]
    lines.clear()
    again = stage.train(config, log=lines.append)
    assert "(training already finished)" in lines[0] and again["history"] == resumed["history"]

    # infer: every split's outputs, recorded as current
    results = stage.infer(config, skip_existing=True, log=lambda line: None)
    for split, n in zip(SPLITS, config.data_split):
        assert len(event_files(Path(config.stage_dir) / split)) == n, split
        assert 0.0 <= results[split]["overall"]["efficiency"] <= 1.0
    assert stage.outputs_ready(config)

    # reload: the trained stage gives what infer wrote, without touching its input
    trained = stage.load_trained(config)
    assert trained.step_names and len(set(trained.step_names)) == len(trained.step_names)
    assert all(step.owner is trained for step in trained.steps) and not trained.model.training
    module = stage.data_module(config)
    source = module.files("test")[0]
    event = module.load(source)
    before = event.clone()
    written = load_event_data(Path(config.stage_dir) / "test" / source.name)
    assert _same_event(trained(event), written)
    assert _same_event(event, before)

    # a checkpoint of another architecture is refused, naming the setting
    wider = dataclasses.replace(config, model=dataclasses.replace(
        config.model, hidden_channels=config.model.hidden_channels + 8))
    with pytest.raises(CheckpointError, match="checkpoint was trained with model.hidden_channels"):
        stage.load_trained(wider)
