"""From nothing to tracks: simulate, train embedding → filter → GNN with one command, evaluate, reconstruct.

Tiny models on complete low-pile-up events (every hit, noise, all pT: no hard cuts, as the default
configs); a few minutes of CPU at most.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from tests.conftest import run_cli
from tests.embedding.conftest import write_config
from tests.gnn.conftest import gnn_config


def _run(argv) -> tuple[int, str, str]:
    result = run_cli(*argv)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A chain trained by one ``trackgnn train`` of the GNN config: configs in ``root``, raw events
    simulated by the GNN's bootstrap; the command's ``(exit code, stdout, stderr)``."""
    root = tmp_path_factory.mktemp("e2e")
    complete = {"pt_min": 0.0, "remove_noise": False}
    # the default configs' graph search: each hit's k nearest on allowed layer pairs, filtered inside the KD-tree
    graph = {"r": 0.1, "k": 10, "backend": "auto", "chunk_size": 1000, "search_k": "all"}
    emb = write_config("tiny_embedding.yaml", root, input_dir=str(root / "raw"), hard_cuts=complete, graph=graph)
    filt = write_config("tiny_filter.yaml", root, hard_cuts=complete)
    gnn = gnn_config(root, root / "runs" / "filter", upstream=[str(emb), str(filt)], hard_cuts=complete,
                     simulation={"seed": 11, "pileup": 10}, stage_dir=str(root / "runs" / "gnn"),
                     model={"hidden_channels": 24, "num_iterations": 3},
                     triplets={"hidden_channels": 24}, training={"max_epochs": 20, "lr": 0.005},
                     tracking={"quality": {"enabled": True, "epochs": 30, "batch_size": 256}},
                     second_pass={"enabled": True, "filter_cut": 0.03})
    return root, gnn, _run(["train", gnn])


def test_one_command_simulates_and_trains_every_stage(trained):
    root, gnn, (code, out, err) = trained
    assert code == 0, err
    assert "no TrackML events in" in err and "simulating the default dataset, 5 events" in err
    assert "upstream embedding" in err and "upstream filter" in err
    assert "gnn: best epoch" in out
    assert (root / "runs" / "gnn" / "checkpoints" / "best.pt").is_file()
    # then the track selection, fitted on the tracks of the training events
    assert "track quality: building tracks on 3 training events" in err and "track quality: epoch 30/30" in err
    assert "track quality: validation events: drops" in err
    assert (root / "runs" / "gnn" / "checkpoints" / "track_quality.pt").is_file()
    # a second run finds everything done
    code, _, err = _run(["train", gnn])
    assert code == 0 and "training already finished" in err and "simulating" not in err
    assert "track_quality.pt is up to date" in err


@pytest.fixture(scope="module")
def evaluated(trained):
    """The trained chain evaluated on its held-out test event; fails (does not skip) when training failed."""
    root, gnn, (code, _, err) = trained
    assert code == 0 and (root / "runs" / "gnn" / "checkpoints" / "best.pt").is_file(), \
        f"training the chain left no GNN checkpoint:\n{err[-2000:]}"
    out = root / "eval"
    code, _, err = _run(["evaluate", "--config", gnn, "--out", out, "--no-progress"])
    assert code == 0, err[-2000:]
    return root, gnn, out


def test_evaluate_reports_efficient_tracking_on_held_out_events(evaluated):
    root, gnn, out = evaluated
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["events"] == [1004]  # the held-out test split
    tracks = metrics["tracks"]["pT > 1 GeV, >= 5 hits"]
    assert tracks["n_particles"] >= 20
    fakes = {n: rate["rate"][0] for n, rate in metrics["fake_rate"].items()}
    assert tracks["efficiency"][0] >= 0.8, tracks["efficiency"]
    assert fakes[">= 5 hits"] <= 0.15 and fakes[">= 3 hits"] <= 0.3, fakes  # tiny models on complete events
    assert metrics["hard_cuts"] is False and set(metrics["fake_rate"]) == {">= 5 hits", ">= 3 hits"}
    assert set(metrics["tracks"]) == {"pT > 1 GeV, >= 5 hits", "0.5-1 GeV, >= 5 hits", "all, >= 5 hits"}
    assert metrics["edges"]["gnn"]["overall"]["purity"] >= 0.8
    assert 0.0 < metrics["trackml_score"]["mean"] <= 1.0
    # the score budget: each stage's graph is a subset of the one before, and the tracks scored the score
    budget = metrics["score_budget"]
    assert sum(kind["scored"] for kind in budget.values()) == pytest.approx(metrics["trackml_score"]["mean"])
    assert sum(kind["weight"] for kind in budget.values()) == pytest.approx(1.0)
    for kind in budget.values():
        assert kind["weight"] >= kind["embedding"] >= kind["filter"] >= kind["gnn"] >= 0.0
    assert set(metrics["seconds_per_event"]) >= {"preprocessing", "embedding", "filter", "gnn", "track_building"}
    for name in ("efficiency", "fake_duplicate", "event_display", "score_budget"):
        assert (out / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert json.loads((out / f"{name}.json").read_text())
    submission = pd.read_csv(out / "submissions" / "event000001004-submission.csv")
    hits = pd.read_csv(root / "raw" / "event000001004-hits.csv")
    assert list(submission.columns) == ["event_id", "hit_id", "track_id"]
    assert sorted(submission["hit_id"]) == sorted(hits["hit_id"])


def test_evaluate_on_real_format_files(evaluated, tmp_path):
    """csv.gz, no cells file, particles without particle_type (the first TrackML release)."""
    root, gnn, out = evaluated
    from trackgnn.data import event_prefix, load_event, write_event

    hits, particles, truth = load_event(event_prefix(root / "raw", 1004), parts=("hits", "particles", "truth"))
    real = tmp_path / "real"
    write_event(event_prefix(real, 1004), hits=hits, particles=particles.drop(columns=["particle_type"]),
                truth=truth, compress=True)
    assert sorted(p.name for p in real.iterdir()) == [
        "event000001004-hits.csv.gz", "event000001004-particles.csv.gz", "event000001004-truth.csv.gz"]
    code, printed, err = _run(["evaluate", "--config", gnn, "--data", real, "--out", tmp_path / "eval",
                               "--no-progress"])
    assert code == 0, err
    assert "TrackML score (exact, all hits)" in printed and "pT > 1 GeV, >= 5 hits" in printed
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["tracks"]["pT > 1 GeV, >= 5 hits"]["efficiency"][0] >= 0.6  # no cell features here


def test_reconstruct_hits_only(evaluated, tmp_path):
    root, gnn, _ = evaluated
    data = tmp_path / "hits"
    data.mkdir()
    for event_id in (1003, 1004):
        shutil.copy(root / "raw" / f"event{event_id:09d}-hits.csv", data)
    code, printed, err = _run(["reconstruct", "--config", gnn, "--data", data, "--out", tmp_path / "out",
                               "--no-progress"])
    assert code == 0, err
    submission = pd.read_csv(tmp_path / "out" / "submission.csv")
    n_hits = sum(len(pd.read_csv(p)) for p in data.iterdir())
    assert len(submission) == n_hits and not submission.duplicated(["event_id", "hit_id"]).any()
    assert sorted(submission["event_id"].unique()) == [1003, 1004]
    assert "2 events" in printed
    timing = json.loads((tmp_path / "out" / "timing.json").read_text())
    assert timing["n_events"] == 2
    # sharded over two worker processes: the same submission
    code, _, err = _run(["reconstruct", "--config", gnn, "--data", data, "--out", tmp_path / "out2",
                         "--workers", 2, "--no-progress"])
    assert code == 0, err
    assert pd.read_csv(tmp_path / "out2" / "submission.csv").equals(submission)


def test_clear_errors_for_bad_checkpoints_and_missing_truth(evaluated, tmp_path):
    root, gnn, _ = evaluated
    bad = tmp_path / "ckpt"
    for stage in ("embedding", "filter", "gnn"):
        (bad / stage).mkdir(parents=True)
        shutil.copy(root / "runs" / stage / "checkpoints" / "best.pt", bad / stage / "best.pt")
    (bad / "gnn" / "best.pt").write_bytes(b"not a checkpoint")
    code, _, err = _run(["evaluate", "--config", gnn, "--checkpoint-dir", bad, "--no-progress"])
    assert code == 2 and err.startswith("error: ") and "gnn/best.pt: corrupt or unreadable checkpoint" in err
    # the GNN without its track selection, then with a selection fitted for another GNN checkpoint
    shutil.copy(root / "runs" / "gnn" / "checkpoints" / "best.pt", bad / "gnn" / "best.pt")
    code, _, err = _run(["evaluate", "--config", gnn, "--checkpoint-dir", bad, "--no-progress"])
    assert code == 2 and "gnn/track_quality.pt: checkpoint not found" in err and f"trackgnn train {gnn}" in err
    state = torch.load(root / "runs" / "gnn" / "checkpoints" / "track_quality.pt", weights_only=True)
    state["fingerprint"]["gnn_run_id"] = "another run"
    torch.save(state, bad / "gnn" / "track_quality.pt")
    code, _, err = _run(["evaluate", "--config", gnn, "--checkpoint-dir", bad, "--no-progress"])
    assert code == 2 and "track_quality.pt: checkpoint was trained with gnn_run_id = 'another run'" in err
    assert f"`trackgnn train {gnn}` fits it again" in err and len(err.strip().splitlines()) == 1
    hits_only = tmp_path / "hits"
    hits_only.mkdir()
    shutil.copy(root / "raw" / "event000001004-hits.csv", hits_only)
    code, _, err = _run(["evaluate", "--config", gnn, "--data", hits_only, "--out", tmp_path / "e",
                         "--no-progress"])
    assert code == 2 and "event000001004-truth.csv: not found; evaluation needs truth" in err


def test_event_without_hits_gives_an_empty_result(evaluated):
    root, gnn, _ = evaluated
    from trackgnn.data import load_event
    from trackgnn.pipeline import InferenceChain

    hits, cells = load_event(root / "raw" / "event000001004", parts=("hits", "cells"))
    chain = InferenceChain(gnn, device="cpu")
    result = chain.run(1004, hits.iloc[:0], cells.iloc[:0])
    assert result.labels.shape == (0,) and result.data is None
    one = chain.run(1004, hits.iloc[:1], cells.iloc[:0])
    assert np.array_equal(one.labels, [-1])


def test_second_pass_adds_tracks_on_the_hits_the_first_left_free(evaluated, tmp_path):
    """The chain with ``second_pass`` is the chain without it, plus tracks among the hits its
    first pass left free, built from graphs among those hits only."""
    import yaml

    from trackgnn.data import load_event
    from trackgnn.pipeline import InferenceChain

    root, gnn, _ = evaluated
    one_pass = tmp_path / "one_pass.yaml"
    config = yaml.safe_load(gnn.read_text())
    config["second_pass"]["enabled"] = False
    one_pass.write_text(yaml.safe_dump(config))
    hits, cells = load_event(root / "raw" / "event000001004", parts=("hits", "cells"))
    first = InferenceChain(one_pass, device="cpu").run(1004, hits, cells)
    both = InferenceChain(gnn, device="cpu").run(1004, hits, cells)

    tracked = first.labels >= 0
    assert np.array_equal(both.labels[tracked], first.labels[tracked])
    assert (both.labels[~tracked][both.labels[~tracked] >= 0] > first.labels.max()).all()
    assert not any(name.startswith("pass2_") for name in first.seconds)
    assert {"pass2_preprocessing", "pass2_graph_building", "pass2_filter", "pass2_track_building"} <= set(both.seconds)
    for stage, edges in first.graphs.items():
        n = edges.shape[1]
        assert torch.equal(both.graphs[stage][:, :n], edges)  # the first pass's edges, then the second's
        added = both.graphs[stage][:, n:].numpy()
        assert (~tracked[added]).all()  # between hits the first pass left free
    assert both.graphs["embedding"].shape[1] > first.graphs["embedding"].shape[1]
    assert len(np.unique(both.labels[~tracked & (both.labels >= 0)])) >= 5  # it finds tracks there (22 here)


def test_final_extension_gives_free_hits_to_existing_tracks_only(evaluated, tmp_path):
    """``final_extension`` runs after the last pass: hits no pass tracked join tracks that exist; nothing else changes."""
    import yaml

    from trackgnn.data import load_event
    from trackgnn.pipeline import InferenceChain

    root, gnn, _ = evaluated
    config = yaml.safe_load(gnn.read_text())
    paths = {}
    for enabled in (False, True):
        config["final_extension"] = {"enabled": enabled, "max_dist_xy": 3.0, "max_dist_sz": 8.0}
        paths[enabled] = tmp_path / f"final_extension_{enabled}.yaml"
        paths[enabled].write_text(yaml.safe_dump(config))
    hits, cells = load_event(root / "raw" / "event000001004", parts=("hits", "cells"))
    without = InferenceChain(paths[False], device="cpu").run(1004, hits, cells)
    extended = InferenceChain(paths[True], device="cpu").run(1004, hits, cells)

    tracked = without.labels >= 0
    assert np.array_equal(extended.labels[tracked], without.labels[tracked])
    joined = ~tracked & (extended.labels >= 0)
    assert joined.sum() >= 5  # it gives hits (here to tracks of >= 5 hits of a tiny chain)
    assert np.isin(extended.labels[joined], without.labels[tracked]).all()
    assert "final_extension" in extended.seconds and "final_extension" not in without.seconds


def test_evaluate_and_reconstruct_give_the_same_tracks_without_truth(evaluated, tmp_path):
    """The chain never reads truth: reconstruct on a copy holding only hits and cells gives
    exactly the tracks that evaluate scored."""
    root, gnn, out = evaluated
    data = tmp_path / "hits"
    data.mkdir()
    for part in ("hits", "cells"):
        shutil.copy(root / "raw" / f"event000001004-{part}.csv", data)
    code, _, err = _run(["reconstruct", "--config", gnn, "--data", data, "--out", tmp_path / "out",
                         "--no-progress"])
    assert code == 0, err
    reconstructed = pd.read_csv(tmp_path / "out" / "submission.csv").sort_values("hit_id", ignore_index=True)
    evaluated_tracks = pd.read_csv(out / "submissions" / "event000001004-submission.csv")
    evaluated_tracks = evaluated_tracks.sort_values("hit_id", ignore_index=True)
    assert reconstructed["hit_id"].equals(evaluated_tracks["hit_id"])
    assert reconstructed["track_id"].equals(evaluated_tracks["track_id"])
    assert reconstructed["track_id"].value_counts().max() >= 5  # real tracks, not one hit each


def test_hard_cut_mode_says_so_on_every_table(evaluated, tmp_path):
    from trackgnn.cli._evaluate import HARD_CUT_NOTE

    root, gnn, _ = evaluated
    code, printed, err = _run(["evaluate", "--config", gnn, "--hard-cuts", "--out", tmp_path / "hc",
                               "--no-progress"])
    assert code == 0, err
    headers = [line for line in printed.splitlines()
               if line.startswith(("Evaluated", "Edges after", "Tracks:", "Fake rate", "TrackML score", "Time per"))]
    assert len(headers) == 6 and all(HARD_CUT_NOTE.strip() in line for line in headers)
    assert json.loads((tmp_path / "hc" / "metrics.json").read_text())["hard_cuts"] is True


def test_truth_gnn_diagnosis_scores_with_the_truth_in_the_gnn_and_says_so(evaluated, tmp_path):
    """``--truth-gnn``: every pass's GNN scores are the truth (its kept edges are exactly the truth
    edges of its input graph), the tracks score at least what the trained GNN's do, every table
    says so, and the honest evaluation's outputs are left alone."""
    from trackgnn.cli._evaluate import TRUTH_GNN_NOTE

    root, gnn, out = evaluated
    honest = json.loads((out / "metrics.json").read_text())
    code, printed, err = _run(["evaluate", "--config", gnn, "--truth-gnn", "--no-progress"])
    assert code == 0, err
    headers = [line for line in printed.splitlines()
               if line.startswith(("Evaluated", "Edges after", "Score weight", "Tracks:", "Fake rate",
                                   "TrackML score", "Time per"))]
    assert len(headers) == 7 and all(TRUTH_GNN_NOTE.strip() in line for line in headers)
    diagnosis = json.loads((root / "runs" / "gnn" / "evaluation_truth_gnn" / "metrics.json").read_text())
    assert diagnosis["truth_gnn"] is True and honest["truth_gnn"] is False
    assert json.loads((out / "metrics.json").read_text()) == honest
    edges = diagnosis["edges"]
    assert edges["gnn"]["overall"]["purity"] == 1.0
    assert edges["gnn"]["overall"]["efficiency"] == edges["filter"]["overall"]["efficiency"]
    assert edges["gnn"]["overall"]["efficiency"] < 1.0  # the filter's losses stay lost
    assert diagnosis["trackml_score"]["mean"] > honest["trackml_score"]["mean"]


def test_later_passes_run_the_second_pass_again_on_the_hits_still_free(evaluated, tmp_path):
    """``second_pass.repeats``: after the second pass, its stages run again (``pass3_``) on the hits
    neither pass put on a track; ``graph_r`` / ``graph_k`` widen the embedding graph of the later passes."""
    import yaml

    from trackgnn.data import load_event
    from trackgnn.pipeline import InferenceChain, pass_prefix, unprefixed_step

    root, gnn, _ = evaluated
    hits, cells = load_event(root / "raw" / "event000001004", parts=("hits", "cells"))
    two = InferenceChain(gnn, device="cpu")
    config = yaml.safe_load(gnn.read_text())
    config["second_pass"].update(repeats=1)
    three_passes = tmp_path / "three_passes.yaml"
    three_passes.write_text(yaml.safe_dump(config))
    three = InferenceChain(three_passes, device="cpu")
    assert three.later_passes == [2, 3] and two.later_passes == [2]
    later = [name for name in two.step_names if name.startswith("pass2_")]
    assert three.step_names[:len(two.step_names) - len(later)] == [n for n in two.step_names if n not in later]
    assert [n for n in three.step_names if n.startswith("pass3_")] == [n.replace("pass2_", "pass3_") for n in later]
    assert [n for n in three.step_names if n.startswith("pass2_")] == later
    assert unprefixed_step("pass3_gnn") == "gnn" and unprefixed_step("pass3_preprocessing") == "pass2_preprocessing"
    assert pass_prefix(3) == "pass3_" and unprefixed_step("gnn") == "gnn"

    before, after = two.run(1004, hits, cells), three.run(1004, hits, cells)
    assert after.seconds.keys() == set(three.step_names)
    # the same first two passes (the final extension runs after the last pass: compare before it)
    config["final_extension"] = {"enabled": False}
    for name, passes in (("two.yaml", 0), ("three.yaml", 1)):
        config["second_pass"]["repeats"] = passes
        (tmp_path / name).write_text(yaml.safe_dump(config))
    two_raw = InferenceChain(tmp_path / "two.yaml", device="cpu").run(1004, hits, cells)
    three_raw = InferenceChain(tmp_path / "three.yaml", device="cpu").run(1004, hits, cells)
    tracked = two_raw.labels >= 0
    assert np.array_equal(three_raw.labels[tracked], two_raw.labels[tracked])
    new = three_raw.labels[~tracked]
    assert (new[new >= 0] > two_raw.labels.max()).all()
    for stage, edges in two_raw.graphs.items():
        n = edges.shape[1]
        assert torch.equal(three_raw.graphs[stage][:, :n], edges)
        assert (~tracked[three_raw.graphs[stage][:, n:].numpy()]).all()  # among the hits still free
    assert three_raw.graphs["embedding"].shape[1] > two_raw.graphs["embedding"].shape[1]
    assert before.labels.shape == after.labels.shape

    # a wider graph among the free hits: more second-pass embedding edges, the first pass unchanged
    config["second_pass"].update(repeats=0, graph_r=0.5, graph_k=40)
    wide = tmp_path / "wide.yaml"
    wide.write_text(yaml.safe_dump(config))
    widened = InferenceChain(wide, device="cpu")
    assert next(s for s in widened.second_pass if s.name == "embedding").config.graph.k == 40
    assert next(s for s in widened.trained if s.name == "embedding").config.graph.k != 40
    config["second_pass"]["enabled"] = False
    (tmp_path / "one.yaml").write_text(yaml.safe_dump(config))
    one = InferenceChain(tmp_path / "one.yaml", device="cpu").run(1004, hits, cells)
    wide_raw = widened.run(1004, hits, cells)
    n = one.graphs["embedding"].shape[1]
    assert torch.equal(wide_raw.graphs["embedding"][:, :n], one.graphs["embedding"])
    assert wide_raw.graphs["embedding"].shape[1] - n > two_raw.graphs["embedding"].shape[1] - n


def test_the_second_pass_can_tune_its_own_gnn_on_its_own_graphs(evaluated, tmp_path):
    """``second_pass.train_epochs``: ``trackgnn train`` builds the second pass's graphs on the training and
    validation events (the free hits of the trained first pass), fine-tunes a copy of the GNN there and fits
    it a selection; the chain's second pass runs it, its first pass is unchanged."""
    import yaml

    from trackgnn.data import load_event
    from trackgnn.errors import CheckpointError
    from trackgnn.pipeline import InferenceChain
    from trackgnn.processing import load_event_data

    root, gnn, _ = evaluated
    stage_dir = tmp_path / "gnn"
    shutil.copytree(root / "runs" / "gnn" / "checkpoints", stage_dir / "checkpoints")
    config = yaml.safe_load(gnn.read_text())
    config["stage_dir"] = str(stage_dir)
    config["second_pass"].update(train_epochs=3, quality_cut=0.3)
    tuned = tmp_path / "tuned.yaml"
    tuned.write_text(yaml.safe_dump(config))

    code, out, err = _run(["train", tuned])
    assert code == 0, err[-2000:]
    assert "training already finished" in err  # the first pass is trained: only the second pass's GNN trains
    assert "second pass: building the graphs of 3 train events" in err and "epoch 3/3" in err
    second = stage_dir / "second_pass"
    assert (second / "checkpoints" / "best.pt").is_file() and (second / "checkpoints" / "track_quality.pt").is_file()
    # its graphs: hits of the training event, fewer of them, with the truth to learn from
    graph = load_event_data(second / "graphs" / "train" / "event000001000.pt")
    event = load_event_data(root / "runs" / "filter" / "train" / "event000001000.pt")
    assert 0 < graph.num_nodes < event.num_nodes and set(graph.hit_id.tolist()) < set(event.hit_id.tolist())
    assert graph.edge_index.shape[1] > 0 and "edge_score" in graph and graph.track_edges.shape[1] > 0
    assert int(graph.edge_index.max()) < graph.num_nodes

    chain = InferenceChain(tuned, device="cpu")
    first_gnn, second_gnn = chain.trained[-1].model, chain.second_pass[-1].model
    assert second_gnn is not first_gnn
    assert any(not torch.equal(a, b) for a, b in zip(first_gnn.state_dict().values(), second_gnn.state_dict().values()))
    assert chain.second_pass[-1].config.tracking.quality.cut == 0.3
    hits, cells = load_event(root / "raw" / "event000001004", parts=("hits", "cells"))
    one_pass = tmp_path / "one_pass.yaml"
    config["second_pass"]["enabled"] = False
    one_pass.write_text(yaml.safe_dump(config))
    first = InferenceChain(one_pass, device="cpu").run(1004, hits, cells)
    both = chain.run(1004, hits, cells)
    tracked = first.labels >= 0
    assert np.array_equal(both.labels[tracked], first.labels[tracked])

    # a second run finds it done; another first-pass selection leaves other hits free: new graphs, retrained
    code, _, err = _run(["train", tuned])
    assert code == 0 and "are current" in err and err.count("training already finished") == 2
    config["second_pass"]["enabled"] = True
    config["tracking"]["quality"]["cut"] = 0.6
    tuned.write_text(yaml.safe_dump(config))
    code, _, err = _run(["train", tuned])
    assert code == 0 and "second pass: building the graphs of 3 train events" in err and "epoch 3/3" in err
    # another graph among the free hits (second_pass.graph_k): new graphs, built as the chain will build them
    edges_before = load_event_data(second / "graphs" / "train" / "event000001000.pt").edge_index.shape[1]
    config["second_pass"]["graph_k"] = 2
    tuned.write_text(yaml.safe_dump(config))
    code, _, err = _run(["train", tuned])
    assert code == 0 and "second pass: building the graphs of 3 train events" in err and "epoch 3/3" in err
    narrow = load_event_data(second / "graphs" / "train" / "event000001000.pt")
    assert 0 < narrow.edge_index.shape[1] < edges_before
    # tuned from another first pass: a clear error naming the command that tunes it again
    path = second / "checkpoints" / "best.pt"
    state = torch.load(path, weights_only=False)
    state["fingerprint"]["first_pass"]["run_id"] = "another"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=r"second_pass.*first_pass\.run_id.*`trackgnn train .*tuned\.yaml` tunes"):
        InferenceChain(tuned, device="cpu")


def test_the_second_pass_can_tune_its_own_filter_on_its_embedding_graphs(evaluated, tmp_path):
    """``second_pass.filter_epochs``: ``trackgnn train`` tunes a copy of the filter on the second pass's
    embedding graphs first, builds the second pass's GNN graphs with it, and the chain's second pass runs it."""
    import yaml

    from trackgnn.errors import CheckpointError
    from trackgnn.pipeline import InferenceChain
    from trackgnn.processing import load_event_data

    root, gnn, _ = evaluated
    stage_dir = tmp_path / "gnn"
    shutil.copytree(root / "runs" / "gnn" / "checkpoints", stage_dir / "checkpoints")
    config = yaml.safe_load(gnn.read_text())
    config["stage_dir"] = str(stage_dir)
    config["second_pass"].update(train_epochs=2, filter_epochs=3, filter_lr=0.01, filter_cut=0.3)
    tuned = tmp_path / "tuned.yaml"
    tuned.write_text(yaml.safe_dump(config))

    code, out, err = _run(["train", tuned])
    assert code == 0, err[-2000:]
    assert "second pass: building the embedding graphs of 3 train events" in err
    assert "fine-tuning the filter 3 epochs" in err and "epoch 3/3" in err and "epoch 2/2" in err
    second = stage_dir / "second_pass"
    assert (second / "filter" / "checkpoints" / "best.pt").is_file()
    # the GNN's graphs: the embedding graph's edges the tuned filter scores above the cut
    before = load_event_data(second / "embedding_graphs" / "train" / "event000001000.pt")
    after = load_event_data(second / "graphs" / "train" / "event000001000.pt")
    assert before.num_nodes == after.num_nodes and 0 < after.edge_index.shape[1] < before.edge_index.shape[1]
    assert float(after.edge_score.min()) > 0.3

    chain = InferenceChain(tuned, device="cpu")
    first_filter = next(stage for stage in chain.trained if stage.name == "filter")
    second_filter = next(stage for stage in chain.second_pass if stage.name == "filter")
    assert second_filter.config.score_cut == 0.3
    assert any(not torch.equal(a, b) for a, b in zip(first_filter.model.state_dict().values(),
                                                     second_filter.model.state_dict().values()))
    # tuned from another filter: a clear error naming the command that tunes it again
    path = second / "filter" / "checkpoints" / "best.pt"
    state = torch.load(path, weights_only=False)
    state["fingerprint"]["first_pass"]["run_id"] = "another"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=r"first_pass\.run_id.*`trackgnn train .*tuned\.yaml` tunes its filter"):
        InferenceChain(tuned, device="cpu")
