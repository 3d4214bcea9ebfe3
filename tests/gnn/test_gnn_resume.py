"""A GNN training killed mid-run resumes from its last checkpoint."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from tests.gnn.conftest import gnn_config

REPO = Path(__file__).resolve().parents[2]
_RUN = "import sys; from trackgnn.cli import main; main(sys.argv[1:])"


def _train(config: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _RUN, "train", str(config)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


def test_killed_training_resumes_from_the_last_checkpoint(filter_outputs, tmp_path):
    # enough epochs that the kill lands mid-run: a tiny epoch takes well under a second
    epochs = 60
    config = gnn_config(tmp_path, filter_outputs, training={"max_epochs": epochs})
    last = tmp_path / "gnn" / "checkpoints" / "last.pt"
    process = _train(config)
    deadline = time.time() + 240
    while not last.is_file() and time.time() < deadline and process.poll() is None:
        time.sleep(0.02)
    assert last.is_file(), process.communicate()[0]
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed = torch.load(last, weights_only=True)
    done = killed["epoch"]
    assert 1 <= done < epochs and not killed["finished"]

    resumed = _train(config)
    output = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, output
    assert f"resumed from {last} after epoch {done}" in output
    final = torch.load(last, weights_only=True)
    assert final["finished"] and final["epoch"] == epochs
    assert final["history"][:done] == killed["history"][:done]
    assert [h["epoch"] for h in final["history"]] == list(range(1, epochs + 1))
