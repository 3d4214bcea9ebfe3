"""`trackgnn score`: exact TrackML score of a submission against truth files; errors name the file."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.conftest import make_event, run_cli
from trackgnn.data import event_prefix, write_event


def test_score_perfect_random_and_errors(tmp_path):
    event = make_event(n_particles=30)
    write_event(event_prefix(tmp_path / "truth", 1000), compress=True, **event)
    truth = event["truth"]
    perfect = tmp_path / "perfect.csv"
    pd.DataFrame({"event_id": 1000, "hit_id": truth.hit_id, "track_id": truth.particle_id}).to_csv(perfect, index=False)
    result = run_cli("score", "--truth-dir", str(tmp_path / "truth"), "--submission", str(perfect))
    assert result.exit_code == 0, result.stderr
    assert "mean score over 1 event(s): 1.000000" in result.stdout

    rng = np.random.default_rng(0)
    random = tmp_path / "random.csv"
    pd.DataFrame({"event_id": 1000, "hit_id": truth.hit_id,
                  "track_id": rng.permutation(len(truth))}).to_csv(random, index=False)
    result = run_cli("score", "--truth-dir", str(tmp_path / "truth"), "--submission", str(random))
    assert "score 0.000000" in result.stdout

    wrong_event = tmp_path / "wrong.csv"
    pd.DataFrame({"event_id": 7, "hit_id": truth.hit_id, "track_id": 1}).to_csv(wrong_event, index=False)
    result = run_cli("score", "--truth-dir", str(tmp_path / "truth"), "--submission", str(wrong_event))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {wrong_event}: event_id 7 has no truth in {tmp_path / 'truth'} (events there: 1000)"
    assert "Traceback" not in result.stderr


def test_module_entry_point_runs_the_same_command_line():
    """``python -m trackgnn`` (what the console script runs) reaches the same commands."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "trackgnn", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "reconstruct" in result.stdout and "roofline" in result.stdout
