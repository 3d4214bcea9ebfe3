"""The filter stage on its own: network, chunked scores, edge selection, weighted loss, config, inference."""

from __future__ import annotations

import math

import pytest
import torch
import yaml

from tests.embedding.conftest import write_config
from tests.filter.conftest import embedding_like_event
from trackgnn.errors import ConfigError
from trackgnn.filter import EdgeFilterNet, FilterModelConfig, FilterTask, edge_scores, select_edges
from trackgnn.stages import load_stage_config


def _config(tmp_path, input_dir, **overrides):
    path = write_config("tiny_filter.yaml", tmp_path, input_dir=str(input_dir))
    data = yaml.safe_load(path.read_text())
    data.update(overrides)
    path.write_text(yaml.safe_dump(data))
    return load_stage_config(path)


def test_network_scores_each_edge_from_both_hits_and_its_features():
    torch.manual_seed(0)
    net = EdgeFilterNet(3, 2, FilterModelConfig(hidden_channels=16, num_layers=2)).eval()
    x, attr = torch.randn(10, 3), torch.randn(7, 2)
    edges = torch.randint(0, 10, (2, 7))
    logits = net(x, edges, attr)
    assert logits.shape == (7,)
    # an edge's logit depends on its own hits and features only
    x2 = x.clone()
    untouched = torch.tensor([i for i in range(10) if i not in edges[:, 0].tolist()])
    x2[untouched] += 100.0
    assert net(x2, edges, attr)[0] == logits[0]
    before = [p.clone() for p in net.parameters()]
    net.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))
    assert repr(net).startswith("EdgeFilterNet(MLP([8, 16, 16, 1]")


def test_chunked_scores_equal_one_pass_and_empty_graphs_work():
    torch.manual_seed(1)
    net = EdgeFilterNet(3, 2, FilterModelConfig(hidden_channels=8, num_layers=1)).eval()
    x, attr, edges = torch.randn(20, 3), torch.randn(50, 2), torch.randint(0, 20, (2, 50))
    with torch.no_grad():
        whole = edge_scores(net, x, edges, attr)
        chunked = edge_scores(net, x, edges, attr, chunk_size=7)
        empty = edge_scores(net, x, edges[:, :0], attr[:0])
    assert torch.allclose(whole, chunked) and ((whole > 0) & (whole < 1)).all()
    assert empty.shape == (0,)


def test_select_edges_keeps_edge_attributes_aligned_and_the_input_whole():
    event = embedding_like_event(1000, seed=5)
    keep = event.y.clone()
    out = select_edges(event, keep)
    n = int(keep.sum())
    assert out.edge_index.shape == (2, n) and out.num_nodes == event.num_nodes
    for key in ("y", "edge_truth", "edge_dist"):
        assert torch.equal(out[key], event[key][keep]), key
    assert event.edge_index.shape[1] == keep.numel()  # the input keeps every edge
    assert torch.equal(out.track_edges, event.track_edges)


def test_loss_weights_truth_skip_and_fake_edges(tmp_path, embedding_outputs):
    _, config = _config(tmp_path, embedding_outputs, pos_weight=3.0, skip_weight=0.5)
    task = FilterTask(torch.nn.Identity(), config)
    y = torch.tensor([True, True, False, False])
    truth = torch.tensor([True, False, False, False])  # a truth edge, a skip edge, two fakes
    pt = torch.tensor([3.0, 3.0, 3.0, 0.2])
    loss = task._loss(torch.zeros(4), y, truth, pt)  # every logit 0: each BCE term is log 2
    assert float(loss) == pytest.approx((3.0 + 0.5 + 1.0 + 1.0) / 4 * math.log(2))


def test_score_pt_weighting_scales_same_particle_edges_only(tmp_path, embedding_outputs):
    _, config = _config(tmp_path, embedding_outputs, pos_weight=3.0, skip_weight=0.5, pt_weighting="score")
    task = FilterTask(torch.nn.Identity(), config)
    y = torch.tensor([True, True, False, False])
    truth = torch.tensor([True, False, False, False])
    pt = torch.tensor([3.0, 0.2, 3.0, 0.2])  # the TrackML score weighs 3 GeV 1.0, 0.2 GeV 0.2; 1 GeV 0.36
    loss = task._loss(torch.zeros(4), y, truth, pt)
    assert float(loss) == pytest.approx((3.0 / 0.36 + 0.5 * 0.2 / 0.36 + 1.0 + 1.0) / 4 * math.log(2))


@pytest.mark.parametrize("override, message", [
    ({"pos_weight": 0.0}, r"pos_weight must be > 0, skip_weight >= 0 and score_cut in \[0, 1\], got 0.0"),
    ({"skip_weight": -1.0}, r"skip_weight >= 0 .* got 2.0, -1.0"),
    ({"score_cut": 1.5}, r"score_cut in \[0, 1\], got 2.0, 2.0, 1.5"),
    ({"edges_per_batch": 0}, r"edges_per_batch must be >= 1 or null, got 0"),
    ({"pt_weighting": "trackml"}, r"pt_weighting.*'trackml'"),
])
def test_bad_settings_name_the_key(tmp_path, embedding_outputs, override, message):
    with pytest.raises(ConfigError, match=message):
        _config(tmp_path, embedding_outputs, **override)


def test_training_learns_and_inference_keeps_the_edges_above_the_cut(tmp_path, embedding_outputs):
    stage, config = _config(tmp_path, embedding_outputs, training={"max_epochs": 6, "lr": 0.01})
    result = stage.train(config, log=lambda line: None)
    history = result["history"]
    assert history[-1]["loss"] < history[0]["loss"]
    best = next(h for h in history if h["epoch"] == result["best_epoch"])
    assert best["efficiency"] > 0.9 and best["purity"] > 0.6
    trained = stage.load_trained(config)
    assert trained.step_names == ["filter"]
    event = stage.data_module(config).events("test")[0]
    out = trained(event)
    with torch.no_grad():
        prepared = stage.prepare_event(config, event.clone())
        scores = edge_scores(trained.model, prepared.x, prepared.edge_index, prepared.edge_attr)
    keep = scores > config.score_cut
    assert torch.equal(out.edge_index, event.edge_index[:, keep]) and torch.allclose(out.edge_score, scores[keep])
    assert torch.equal(out.edge_truth, event.edge_truth[keep])
    assert "x" not in out and "edge_attr" not in out and "x" not in event and "edge_score" not in event
