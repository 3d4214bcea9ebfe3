"""Tiny stage configs (``tiny_*.yaml``) written into a test's directory (the events: ``raw_events`` in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).parent


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
