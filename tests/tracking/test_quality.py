"""Track selection: per-track features, double-majority truth per track, the classifier and its cut."""

from __future__ import annotations

import numpy as np
import torch

from tests.tracking.test_follow import scattered_particle
from trackgnn.tracking import (TRACK_FEATURES, TrackQualityNet, fit_track_quality, matched_tracks, select_tracks,
                               track_features)

COLUMN = {name: k for k, name in enumerate(TRACK_FEATURES)}


def _event():
    """Two clean helices (a 2 GeV and a 0.6 GeV particle), and a track made of the outer half
    of one and the inner half of another (a wrong join); edges along each particle."""
    rng = np.random.default_rng(3)
    fast = scattered_particle(2.0, 1, 0.3, 0.2, 0.0005, rng)
    slow = scattered_particle(0.6, -1, 1.5, -0.3, 0.0005, rng)
    a = scattered_particle(1.0, 1, -1.0, 0.5, 0.0005, rng)
    b = scattered_particle(1.0, -1, -0.7, -0.1, 0.0005, rng)
    half = len(a) // 2
    positions = np.concatenate([fast, slow, a[:half], b[half:]])
    labels = np.repeat([0, 1, 2], [len(fast), len(slow), len(a) - half + half])
    layers = np.concatenate([np.arange(len(fast)), np.arange(len(slow)), np.arange(half), np.arange(half, len(b))])
    return positions, labels, layers


def test_features_tell_a_clean_helix_from_a_wrong_join():
    positions, labels, layers = _event()
    hits = np.arange(len(labels))
    # edges between consecutive hits of each track, scored 0.9 (0.2 at the join)
    same = labels[1:] == labels[:-1]
    edges = np.stack([hits[:-1][same], hits[1:][same]])
    scores = np.full(edges.shape[1], 0.9)
    join = np.flatnonzero(layers[edges[1]] == len(layers[labels == 2]) // 2)
    scores[join[-1]] = 0.2
    tracks, x = track_features(labels, positions, layers, edges, scores)
    assert tracks.tolist() == [0, 1, 2] and x.shape == (3, len(TRACK_FEATURES)) and x.dtype == np.float32
    pt = np.exp(x[:, COLUMN["log_pt"]])
    assert abs(pt[0] - 2.0) < 0.1 and abs(pt[1] - 0.6) < 0.03  # the circle through the origin: the particle's pT
    rms_xy = np.exp(x[:, COLUMN["log_rms_xy"]])
    assert rms_xy[0] < 0.5 and rms_xy[1] < 0.5 and rms_xy[2] > 5.0  # two particles do not make one circle
    assert np.allclose(x[:, COLUMN["layer_fraction"]], 1.0) and np.allclose(x[:, COLUMN["edge_fraction"]], 1.0)
    assert np.allclose(x[:2, COLUMN["edge_score_mean"]], 0.9) and np.isclose(x[2, COLUMN["edge_score_min"]], 0.2)
    assert np.allclose(x[:, COLUMN["log_hits"]], np.log(np.bincount(labels)))
    # a second hit on a layer, a high-scored edge to a hit outside, and free hits
    layers2, labels2 = layers.copy(), labels.copy()
    layers2[1] = layers2[0]
    labels2[-1] = -1
    edges2 = np.concatenate([edges, [[0], [len(labels) - 1]]], axis=1)
    _, x2 = track_features(labels2, positions, layers2, edges2, np.r_[scores, 0.95])
    n0 = (labels == 0).sum()
    assert np.isclose(x2[0, COLUMN["layer_fraction"]], (n0 - 1) / n0)
    assert np.isclose(x2[0, COLUMN["shared_fraction"]], 1 / n0) and np.isclose(x2[2, COLUMN["shared_fraction"]],
                                                                                1 / (labels2 == 2).sum())
    empty_tracks, empty = track_features(np.full(4, -1), positions[:4], layers[:4], edges[:, :0], scores[:0])
    assert empty_tracks.size == 0 and empty.shape == (0, len(TRACK_FEATURES))


def test_matched_tracks_follow_the_double_majority_rule():
    # particles: 7 has 6 hits, 8 has 4, 9 has 7; 0 is noise
    particle = np.array([7] * 6 + [8] * 4 + [9] * 7 + [0] * 3)
    labels = np.full(particle.size, -1)
    labels[[0, 1, 2, 3]] = 10           # 4 of particle 7's 6 hits: matched
    labels[[6, 7, 10, 11]] = 11         # 2 of 8 and 2 of 9: no majority particle
    labels[[12, 13, 14]] = 12           # 3 of particle 9's 7 hits: less than half of the particle
    labels[[17, 18, 19, 8]] = 13        # noise with one hit of 8
    labels[[4, 5, 9]] = 14              # 2 of 7 (the rest of it is in track 10) + 1 of 8: not half of 7
    tracks = np.array([10, 11, 12, 13, 14])
    matched, majority = matched_tracks(labels, particle, tracks)
    assert matched.tolist() == [True, False, False, False, False]
    assert majority.tolist() == [7, 8, 9, 0, 7]  # a tie (2 of 8, 2 of 9): the lower id


def test_the_classifier_learns_which_tracks_match_and_the_cut_frees_their_hits():
    rng = np.random.default_rng(0)
    features, matched = [], []
    for _ in range(3):  # three "events": unmatched tracks have large residuals and few edges
        ok = rng.random(2000) < 0.8
        x = rng.normal(size=(2000, len(TRACK_FEATURES))).astype(np.float32)
        x[:, COLUMN["log_rms_xy"]] += np.where(ok, -1.5, 1.5)
        x[:, COLUMN["edge_fraction"]] += np.where(ok, 1.0, -1.0)
        features.append(x)
        matched.append(ok)
    weights = [np.ones(len(m)) for m in matched]
    lines: list[str] = []
    small = dict(hidden_channels=16, epochs=20, batch_size=256)
    net = fit_track_quality(features[:2], matched[:2], weights[:2], **small, log=lines.append)
    assert not net.training and lines[-1].startswith("track quality: epoch 20/20")
    probability = net.probabilities(features[2])
    accuracy = ((probability >= 0.5) == matched[2]).mean()
    assert accuracy > 0.95, accuracy  # unseen tracks
    with torch.autocast("cpu", dtype=torch.bfloat16):  # as the chain runs with --precision bf16
        assert np.array_equal(net.probabilities(features[2]), probability) and probability.dtype == np.float32
    again = fit_track_quality(features[:2], matched[:2], weights[:2], **small, log=lambda _: None)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), again.state_dict().values()))
    # up-weighting the matched tracks moves the decision towards keeping them
    heavy = fit_track_quality(features[:2], matched[:2], [np.where(m, 10.0, 1.0) for m in matched[:2]],
                              **small, log=lambda _: None)
    assert (heavy.probabilities(features[2]) >= 0.5).sum() > (probability >= 0.5).sum()

    labels = np.array([0, 0, 1, 1, 1, -1, 2, 2, 2])
    tracks = np.array([0, 1, 2])
    kept = select_tracks(labels, tracks, np.array([True, False, True]))
    assert kept.tolist() == [0, 0, -1, -1, -1, -1, 2, 2, 2] and labels[2] == 1
    assert TrackQualityNet(8, 2).probabilities(np.zeros((0, len(TRACK_FEATURES)), np.float32)).shape == (0,)


def test_the_selection_drops_short_tracks_and_the_kept_ones_take_their_hits():
    from trackgnn.gnn import TrackSelection
    from trackgnn.tracking import ScoredGraph

    rng = np.random.default_rng(41)
    positions = scattered_particle(0.8, 1, 0.7, 0.2, 0.002, rng)
    assert len(positions) >= 9
    labels = np.full(len(positions), -1)
    labels[:5] = 0     # a good track of the particle's inner hits
    labels[5:8] = 1    # a 3-hit piece of its outer hits: dropped
    # a one-layer network: P(matched) > 0.5 from 4.5 hits up
    net = TrackQualityNet(num_layers=1)
    with torch.no_grad():
        net.mlp[0].weight.zero_()
        net.mlp[0].weight[0, COLUMN["log_hits"]] = 10.0
        net.mlp[0].bias.fill_(-10.0 * np.log(4.5))
    graph = ScoredGraph(np.zeros((2, 0), np.int64), np.zeros(0), len(positions), positions=positions)
    layers = np.arange(len(positions))
    assert (TrackSelection(net, 0.5)(labels, graph, layers) == np.where(np.arange(len(positions)) < 5, 0, -1)).all()
    assert (TrackSelection(net, 0.5, refill_min_hits=3)(labels, graph, layers) == 0).all()
