"""Bad input through the CLI: one ``error: <file>: ...`` line, status 2, no partial output."""

from __future__ import annotations

import gzip

from click.testing import CliRunner

from tests.gnn.conftest import gnn_config
from trackgnn.cli import cli


def _gzip_with_garbage_body(text: str) -> bytes:
    """Valid gzip magic and header, then junk instead of the deflate stream."""
    return gzip.compress(text.encode())[:10] + bytes(range(256)) * 4


def test_reconstruct_corrupt_gzip_hits(gnn_chain, raw_event, tmp_path):
    raw_dir, _ = raw_event
    hits = raw_dir / "event000001000-hits.csv"
    corrupt = raw_dir / "event000001000-hits.csv.gz"
    corrupt.write_bytes(_gzip_with_garbage_body(hits.read_text()))
    hits.unlink()
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["reconstruct", "--config", str(gnn_chain), "--data", str(raw_dir),
                                      "--out", str(out), "--no-progress", "--device", "cpu"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {corrupt}: corrupt gzip data (Error -3 while decompressing data: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert not out.exists()  # no partial output, not even the directory


def test_nan_in_a_float_setting_names_file_key_and_value(tmp_path):
    config = gnn_config(tmp_path, tmp_path / "in", training={"lr": float("nan")})
    result = CliRunner().invoke(cli, ["train", str(config)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {config}.training.lr: expected a finite number, got nan\n"
    config = gnn_config(tmp_path, tmp_path / "in", tracking={"options": {"score_cut": float("inf")}})
    result = CliRunner().invoke(cli, ["infer", str(config)])
    assert result.stderr == (f"error: {config}.tracking: track builder 'walkthrough': option 'score_cut' must be "
                             "a finite number, got inf\n")
    assert not (tmp_path / "gnn").exists()


def test_absurd_model_size_is_a_config_error(tmp_path):
    config = gnn_config(tmp_path, tmp_path / "in", model={"hidden_channels": 100_000_000_000})
    result = CliRunner().invoke(cli, ["train", str(config)])
    assert result.exit_code == 2
    assert result.stderr == (f"error: {config}.model: hidden_channels must be <= 16384 (the sanity bound on a "
                             "layer width), got 100000000000\n")


def test_out_of_memory_while_building_the_model(filter_outputs, tmp_path, monkeypatch):
    monkeypatch.setattr("trackgnn.config._limits.MAX_WIDTH", 10**12)  # let the size through to the allocator
    config = gnn_config(tmp_path, filter_outputs, model={"hidden_channels": 3_000_000})
    result = CliRunner().invoke(cli, ["train", str(config)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: {config}: out of memory while building the gnn model (tried to allocate "
                             "33527.61 GiB); lower model.hidden_channels (now 3000000), model.num_iterations "
                             "(now 2) or triplets.hidden_channels (now 16), or run on a machine with more memory\n")
    assert not (tmp_path / "gnn").exists()  # no checkpoints or metrics left behind


def test_out_of_memory_during_inference(filter_outputs, tmp_path, monkeypatch):
    import torch

    from tests.cli.conftest import write_untrained_checkpoint

    def huge_scores(model, config, data, device="cpu"):
        return torch.empty(10**13)  # what an event too large for the machine does to the allocator

    config = gnn_config(tmp_path, filter_outputs)
    write_untrained_checkpoint(config)
    monkeypatch.setattr("trackgnn.gnn._infer.gnn_scores", huge_scores)
    result = CliRunner().invoke(cli, ["infer", str(config)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: {config}: out of memory while running gnn inference (tried to allocate "
                             "37252.90 GiB); lower model.hidden_channels (now 16) or model.num_iterations (now 2), "
                             "or run on a machine with more memory\n")
    assert sorted(p.name for p in (tmp_path / "gnn").iterdir()) == ["checkpoints"]  # no outputs written


def test_reconstruct_hit_on_unknown_module(gnn_chain, raw_event, tmp_path):
    raw_dir, frames = raw_event
    hits = frames["hits"].copy()
    hits.loc[2, "volume_id"] = 99
    from trackgnn.data import event_prefix, write_event

    write_event(event_prefix(raw_dir, 1000), hits=hits)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["reconstruct", "--config", str(gnn_chain), "--data", str(raw_dir),
                                      "--out", str(out), "--no-progress", "--device", "cpu"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: {raw_dir / 'event000001000-hits.csv'}: volume_id 99 is not a TrackML detector "
                             "volume (volumes: 7, 8, 9, 12, 13, 14, 16, 17, 18) in data row 3; "
                             f"1 of {len(hits)} hits are on no module of the TrackML geometry\n")
    assert not out.exists()


def _drop_particles(raw_dir, frames, n: int) -> list[int]:
    """Rewrite the particles file without its first ``n`` particles; their ids."""
    from trackgnn.data import event_prefix, write_event

    particles = frames["particles"]
    write_event(event_prefix(raw_dir, 1000), particles=particles.iloc[n:])
    return particles["particle_id"].iloc[:n].tolist()


def test_score_truth_particles_missing(raw_event, tmp_path):
    import pandas as pd

    raw_dir, frames = raw_event
    dropped = _drop_particles(raw_dir, frames, 7)
    submission = tmp_path / "submission.csv"
    truth = frames["truth"]
    pd.DataFrame({"event_id": 1000, "hit_id": truth.hit_id, "track_id": truth.particle_id}).to_csv(submission,
                                                                                                  index=False)
    result = CliRunner().invoke(cli, ["score", "--truth-dir", str(raw_dir), "--submission", str(submission)])
    assert result.exit_code == 2, result.output
    first = ", ".join(map(str, dropped[:5]))
    assert result.stderr == (f"error: {raw_dir}/event000001000-particles.csv: 7 particle_id(s) with hits in "
                             f"{raw_dir}/event000001000-truth.csv are missing (first: {first}, ...); every "
                             "particle with truth hits needs a row here\n")
    assert result.stdout == ""


def test_evaluate_truth_particles_missing(gnn_chain, raw_event, tmp_path):
    raw_dir, frames = raw_event
    dropped = _drop_particles(raw_dir, frames, 1)
    out = tmp_path / "eval"
    result = CliRunner().invoke(cli, ["evaluate", "--config", str(gnn_chain), "--data", str(raw_dir),
                                      "--out", str(out), "--no-progress", "--device", "cpu"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: {raw_dir}/event000001000-particles.csv: 1 particle_id(s) with hits in "
                             f"{raw_dir}/event000001000-truth.csv are missing (first: {dropped[0]}); every "
                             "particle with truth hits needs a row here\n")
    assert not out.exists()


def test_reconstruct_with_a_chain_that_cannot_read_hits(gnn_chain, raw_event, tmp_path):
    raw_dir, _ = raw_event
    result = CliRunner().invoke(cli, ["reconstruct", "--config", str(gnn_chain), "--data", str(raw_dir),
                                      "--out", str(tmp_path / "out"), "--no-progress", "--device", "cpu"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: {gnn_chain}: the chain starts with the gnn stage ({gnn_chain}), which needs "
                             "a graph; list the embedding and filter configs under upstream to run on hits\n")
    assert not (tmp_path / "out").exists()


def test_stage_name_of_the_wrong_type(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("stage: [gnn]\n")
    result = CliRunner().invoke(cli, ["train", str(config)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {config}: stage: could not resolve ['gnn'] among ['embedding', 'filter', 'gnn']\n"
