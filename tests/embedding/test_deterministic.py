"""Same seed, same CPU results: two separate processes train bit-identical weights, with two threads."""

import subprocess
import sys
import textwrap

import torch
import yaml

from tests.embedding.conftest import write_config

SCRIPT = textwrap.dedent("""
    import sys
    from trackgnn.stages import load_stage_config
    stage, config = load_stage_config(sys.argv[1])
    stage.train(config, log=lambda line: None)
""")


def test_deterministic_training_is_bit_identical_across_processes(raw_events, tmp_path):
    weights = []
    for run in ("a", "b"):
        directory = tmp_path / run
        directory.mkdir()
        path = write_config("tiny_embedding.yaml", directory, input_dir=str(raw_events))
        data = yaml.safe_load(path.read_text())
        data["training"] = {**data["training"], "max_epochs": 2, "deterministic": True,
                            "threads": 2}
        path.write_text(yaml.safe_dump(data))
        result = subprocess.run([sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        state = torch.load(directory / "runs/embedding/checkpoints/last.pt", weights_only=True)
        weights.append(state["model"])
    assert weights[0].keys() == weights[1].keys()
    for name in weights[0]:
        assert torch.equal(weights[0][name], weights[1][name]), name
