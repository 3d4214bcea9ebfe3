"""Fixtures: a few small low-pile-up simulated events and tiny stage configs pointing at them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def raw_events(tmp_path_factory) -> Path:
    """Five simulated events with pile-up 10 (about 1k hits above 1 GeV each)."""
    from trackgnn.simulation import SimulationConfig, simulate_dataset

    out = tmp_path_factory.mktemp("raw")
    simulate_dataset(out, 5, SimulationConfig(seed=11, pileup=10))
    return out


def write_config(name: str, directory: Path, **overrides) -> Path:
    """Copy ``tests/embedding/<name>`` into ``directory`` with its paths moved under ``directory``."""
    data = yaml.safe_load((HERE / name).read_text())
    for key in ("processed_dir", "stage_dir"):
        if key in data:
            data[key] = str(directory / data[key])
    if data["stage"] != "embedding":
        data["input_dir"] = str(directory / data["input_dir"])
    data.update(overrides)
    path = directory / name
    path.write_text(yaml.safe_dump(data))
    return path
