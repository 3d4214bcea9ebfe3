"""The GNN stage on filter-like events: training, inference outputs, empty graphs, bad checkpoints."""

from __future__ import annotations

import pytest
import torch

from tests.gnn.conftest import gnn_config
from trackgnn.errors import CheckpointError, ConfigError
from trackgnn.stages import load_stage_config


@pytest.fixture(scope="module")
def trained(filter_outputs, tmp_path_factory):
    directory = tmp_path_factory.mktemp("gnn_stage")
    stage, config = load_stage_config(gnn_config(directory, filter_outputs))
    lines: list[str] = []
    result = stage.train(config, log=lines.append)
    return stage, config, result, lines


def test_training_learns_the_edges_and_the_triplets(trained):
    stage, config, result, lines = trained
    best = next(h for h in result["history"] if h["epoch"] == result["best_epoch"])
    assert best["efficiency"] > 0.9 and best["purity"] > 0.9
    assert best["triplet_efficiency"] > 0.8 and best["triplet_purity"] > 0.8
    assert (stage.checkpoint_dir(config) / "best.pt").is_file()
    assert lines[0].startswith("epoch 1/12")


def test_inference_writes_scores_triplets_and_tracks(trained):
    stage, config, _, _ = trained
    metrics = stage.infer(config, skip_existing=False, log=lambda line: None)
    assert metrics["test"]["overall"]["efficiency"] > 0.85
    from trackgnn.processing import event_files, load_event_data

    out = load_event_data(event_files(config.stage_dir / "test")[0])
    assert out.edge_score.shape == (out.edge_index.shape[1],)
    assert out.edge_filter_score.shape == out.edge_score.shape
    assert out.triplet_index.shape[0] == 2 and out.triplet_score.shape == (out.triplet_index.shape[1],)
    assert out.track_label.shape == (out.num_nodes,)
    n_tracks = int(out.track_label.max()) + 1
    n_particles = int(torch.unique(out.particle_id).numel())
    assert 0.8 * n_particles <= n_tracks <= 1.2 * n_particles
    assert "x" not in out


def test_zero_edge_and_zero_hit_events_give_empty_results(trained):
    stage, config, _, _ = trained
    gnn = stage.load_trained(config)
    from trackgnn.processing import event_files, load_event_data

    data = load_event_data(event_files(config.input_dir / "test")[0])
    keep = torch.zeros(data.edge_index.shape[1], dtype=torch.bool)
    from trackgnn.filter import select_edges

    out = gnn(select_edges(data, keep))
    assert out.edge_score.shape == (0,) and out.triplet_index.shape == (2, 0)
    assert (out.track_label == -1).all() and out.track_label.shape == (data.num_nodes,)
    # every edge below the track-building cut: no tracks, no error
    import dataclasses

    from trackgnn.gnn import TrackBuildingConfig

    strict = dataclasses.replace(config, tracking=TrackBuildingConfig("walkthrough", {"score_cut": 1.01}))
    labels = stage.load_trained(strict)(data).track_label
    assert labels.shape == (data.num_nodes,) and (labels == -1).all()


def test_trained_stage_runs_named_steps_without_touching_its_input(trained):
    stage, config, _, _ = trained
    gnn = stage.load_trained(config)
    assert gnn.step_names == ["gnn", "track_building"] and gnn.model.training is False
    from trackgnn.processing import event_files, load_event_data

    data = load_event_data(event_files(config.input_dir / "test")[0])
    keys = sorted(data.keys())
    seen = []

    def hook(step, item):
        seen.append(step.name)
        assert step.owner is gnn
        return step.run(item)

    first, second = gnn(data, hook=hook), gnn(data)
    assert seen == ["gnn", "track_building"]
    assert sorted(data.keys()) == keys and "x" not in data  # the input event is left as it was
    assert torch.equal(first.track_label, second.track_label)
    assert torch.equal(first.edge_filter_score, data.edge_score)  # the filter's score is kept


def test_missing_corrupt_and_mismatched_checkpoints(trained, tmp_path):
    stage, config, _, _ = trained
    _, other = load_stage_config(gnn_config(tmp_path, config.input_dir))
    with pytest.raises(CheckpointError, match=r"best\.pt: checkpoint not found; train the stage first with `trackgnn train"):
        stage.load_trained(other)
    best = stage.checkpoint_dir(config) / "best.pt"
    broken = stage.checkpoint_dir(other) / "best.pt"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(best.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="corrupt or unreadable checkpoint"):
        stage.load_trained(other)
    _, wider = load_stage_config(gnn_config(tmp_path, config.input_dir, model={"hidden_channels": 24}))
    broken.write_bytes(best.read_bytes())
    with pytest.raises(CheckpointError, match=r"checkpoint was trained with model\.hidden_channels = 16 but the config says 24"):
        stage.load_trained(wider)


def test_config_errors_name_the_key(tmp_path, filter_outputs):
    with pytest.raises(ConfigError, match=r"model: edge_features: could not resolve 'curl' among \['dr'"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, model={"edge_features": ["curl"]}))
    with pytest.raises(ConfigError, match=r"track builder: could not resolve 'hough' among"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, tracking={"method": "hough"}))
    with pytest.raises(ConfigError, match=r"track builder 'walkthrough': unknown option 'cut'"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, tracking={"method": "walkthrough", "options": {"cut": 1}}))
    with pytest.raises(ConfigError, match=r"gnn\.yaml\.model\.aggr\[0\]|aggr: could not resolve 'median'"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, model={"aggr": ["median"]}))
    with pytest.raises(ConfigError, match=r"second_pass.*filter_cut must be in \[0, 1\], got 1\.5"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, second_pass={"enabled": True, "filter_cut": 1.5}))
    with pytest.raises(ConfigError, match=r"second_pass.*cut"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, second_pass={"cut": 0.1}))
    with pytest.raises(ConfigError, match=r"second_pass.*enabled"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, second_pass={"enabled": "often"}))
    with pytest.raises(ConfigError, match=r"second_pass.*filter_epochs 4 needs train_epochs > 0"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, second_pass={"enabled": True, "filter_epochs": 4}))
    with pytest.raises(ConfigError, match=r"second_pass.*filter_lr must be > 0, got 0"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, second_pass={"train_epochs": 2, "filter_lr": 0.0}))
    with pytest.raises(ConfigError, match=r"second_pass.*repeats must be an integer >= 0, got -1"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, second_pass={"enabled": True, "repeats": -1}))
    with pytest.raises(ConfigError, match=r"second_pass.*graph_k must be an integer >= 1 or null, got 0"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, second_pass={"enabled": True, "graph_k": 0}))
    with pytest.raises(ConfigError, match=r"second_pass.*graph_r must be > 0 or null, got -0.1"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, second_pass={"enabled": True, "graph_r": -0.1}))
    with pytest.raises(ConfigError, match=r"second_pass.*graph_k"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, second_pass={"enabled": True, "graph_k": 2.5}))
    with pytest.raises(ConfigError, match=r"final_extension.*must be > 0, got 2, -1"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, final_extension={"max_dist_sz": -1.0}))
    with pytest.raises(ConfigError, match=r"final_extension.*min_hits must be >= 3, got 2"):
        load_stage_config(gnn_config(tmp_path, filter_outputs, final_extension={"min_hits": 2}))
    with pytest.raises(ConfigError, match=r"upstream config 'nowhere\.yaml' not found"):
        from trackgnn.pipeline import upstream_configs

        _, config = load_stage_config(gnn_config(tmp_path, filter_outputs, upstream=["nowhere.yaml"]))
        upstream_configs(config)
