"""Fixtures for CLI tests: a GNN chain with untrained but valid checkpoints (no training needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_event
from tests.gnn.conftest import gnn_config


def write_untrained_checkpoint(config_path: Path) -> None:
    """``best.pt`` of the stage in ``config_path``: freshly initialised weights, the config's fingerprint."""
    import torch

    from trackgnn.stages import config_record, load_stage_config
    from trackgnn.training import save_checkpoint

    stage, config = load_stage_config(config_path)
    torch.manual_seed(0)
    model = stage.build_task(config).model
    save_checkpoint({"epoch": 0, "model": model.state_dict(), "config": config_record(config),
                     "fingerprint": stage.fingerprint(config)}, stage.checkpoint_dir(config) / "best.pt")


@pytest.fixture
def gnn_chain(tmp_path) -> Path:
    """A GNN-only config (no upstream stages) with a loadable checkpoint; returns the config path."""
    config = gnn_config(tmp_path, tmp_path / "unused_input")
    write_untrained_checkpoint(config)
    return config


@pytest.fixture
def raw_event(tmp_path) -> tuple[Path, dict]:
    """``(directory, frames)`` of one small TrackML event (event 1000) with every part."""
    from trackgnn.data import event_prefix, write_event

    frames = make_event(n_particles=8)
    directory = tmp_path / "raw"
    write_event(event_prefix(directory, 1000), **frames)
    return directory, frames
