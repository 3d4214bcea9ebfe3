"""One battery of checks over every track builder, plus builder-specific behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from trackgnn.errors import ConfigError
from trackgnn.tracking import (
    TRACK_BUILDERS,
    ScoredGraph,
    TrackBuilder,
    build_tracks,
    compact_labels,
    connected_components,
    walkthrough,
)

# two clean 4-hit tracks (0-1-2-3 and 4-5-6-7), a lone hit 8 and one low-score fake edge 1 -> 6
EDGES = np.array([[0, 1, 2, 4, 5, 6, 1], [1, 2, 3, 5, 6, 7, 6]])
SCORES = np.array([0.95, 0.9, 0.92, 0.97, 0.93, 0.9, 0.2])


def _same_partition(labels: np.ndarray, expected: list[int]) -> bool:
    """Equal up to renaming of track labels (−1 must match exactly)."""
    labels = np.asarray(labels)
    expected = np.asarray(expected)
    if not np.array_equal(labels < 0, expected < 0):
        return False
    pairs = set(zip(labels[labels >= 0].tolist(), expected[expected >= 0].tolist()))
    return len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})


@pytest.mark.parametrize("method", sorted(TRACK_BUILDERS))
def test_every_builder_separates_two_clean_tracks(method):
    labels = build_tracks(ScoredGraph(EDGES, SCORES, 9), method)
    assert labels.dtype == np.int64 and labels.shape == (9,)
    assert _same_partition(labels, [0, 0, 0, 0, 1, 1, 1, 1, -1])


@pytest.mark.parametrize("method", sorted(TRACK_BUILDERS))
def test_every_builder_handles_no_edges_and_no_hits(method):
    empty = ScoredGraph(np.zeros((2, 0), dtype=np.int64), np.zeros(0), 5)
    assert build_tracks(empty, method).tolist() == [-1] * 5
    assert build_tracks(ScoredGraph(np.zeros((2, 0)), np.zeros(0), 0), method).shape == (0,)
    # every edge below the cut
    low = ScoredGraph(EDGES, np.full(7, 0.01), 9)
    assert build_tracks(low, method).tolist() == [-1] * 9


@pytest.mark.parametrize("method", sorted(TRACK_BUILDERS))
def test_every_builder_drops_tracks_shorter_than_min_hits(method):
    labels = build_tracks(ScoredGraph(EDGES[:, :4], SCORES[:4], 9), method, min_hits=4)
    assert _same_partition(labels, [0, 0, 0, 0, -1, -1, -1, -1, -1])


def test_connected_components_merges_tracks_joined_by_a_fake_edge_above_the_cut():
    scores = SCORES.copy()
    scores[6] = 0.6
    labels = connected_components(ScoredGraph(EDGES, scores, 9), score_cut=0.5)
    assert _same_partition(labels, [0] * 8 + [-1])


def test_walkthrough_resolves_a_branch_with_the_best_score():
    # 0 -> 1 -> {2 (0.9), 5 (0.6)}; 2 -> 3; 5 -> 6 -> 7 ; branch at hit 1
    edges = np.array([[0, 1, 1, 2, 5, 6], [1, 2, 5, 3, 6, 7]])
    scores = np.array([0.9, 0.9, 0.6, 0.9, 0.9, 0.9])
    labels = walkthrough(ScoredGraph(edges, scores, 8), score_cut=0.5, min_hits=3)
    # 0-1-2-3 is one track; 5-6-7 is walked afterwards from its (now free) innermost hit
    assert labels[0] == labels[1] == labels[2] == labels[3] >= 0
    assert labels[5] == labels[6] == labels[7] >= 0 and labels[5] != labels[0]
    assert labels[4] == -1


def test_walkthrough_follows_triplet_scores_over_doublet_scores():
    # inner 0 -> 1, then 1 -> 2 (doublet 0.9) or 1 -> 3 (doublet 0.7); triplets prefer 3
    edges = np.array([[0, 1, 1, 2, 3], [1, 2, 3, 4, 5]])
    scores = np.array([0.9, 0.9, 0.7, 0.9, 0.9])
    plain = walkthrough(ScoredGraph(edges, scores, 6), min_hits=2)
    assert plain[0] == plain[1] == plain[2] == plain[4] != plain[3]
    triplets = np.array([[0, 0, 1, 2], [1, 2, 3, 4]])
    triplet_scores = np.array([0.2, 0.95, 0.9, 0.9])
    aware = walkthrough(ScoredGraph(edges, scores, 6, triplets, triplet_scores), min_hits=2)
    assert aware[0] == aware[1] == aware[3] == aware[5] != aware[2]
    assert aware[2] == aware[4] >= 0  # the hits left over make their own track


def test_walkthrough_starts_from_the_innermost_hit_and_survives_cycles():
    # a chain 0->1->2->3 plus a back edge 3->1 (a cycle) and a pure cycle 4->5->6->4
    edges = np.array([[0, 1, 2, 3, 4, 5, 6], [1, 2, 3, 1, 5, 6, 4]])
    labels = walkthrough(ScoredGraph(edges, np.full(7, 0.9), 7), min_hits=3)
    assert labels[0] == labels[1] == labels[2] == labels[3] >= 0
    assert labels[4] == labels[5] == labels[6] >= 0 and labels[4] != labels[0]


def test_dbscan_on_the_embedding():
    embedding = np.array([[0, 0], [0.1, 0], [0.2, 0], [5, 5], [5.1, 5], [5.2, 5], [20, 20]], dtype=np.float32)
    graph = ScoredGraph(np.zeros((2, 0)), np.zeros(0), 7, embedding=embedding)
    labels = build_tracks(graph, "dbscan", on="embedding", eps=0.15, min_samples=2)
    assert _same_partition(labels, [0, 0, 0, 1, 1, 1, -1])
    with pytest.raises(ValueError, match="needs graph.embedding"):
        build_tracks(ScoredGraph(EDGES, SCORES, 9), "dbscan", on="embedding")


def test_registry_and_option_errors_name_the_choices():
    with pytest.raises(ConfigError, match=r"could not resolve 'cc' among \['connected_components', 'dbscan', 'walkthrough'\]"):
        TrackBuilder("cc")
    with pytest.raises(ConfigError, match=r"unknown option 'cut'; allowed: score_cut=0.5, min_hits=3"):
        TrackBuilder("connected_components", {"cut": 0.5})
    with pytest.raises(ConfigError, match="option 'min_hits' must be an integer, got 2.5"):
        TrackBuilder("walkthrough", {"min_hits": 2.5})


def test_graph_validation_and_compact_labels():
    with pytest.raises(ValueError, match="outside \\[0, 3\\)"):
        ScoredGraph(np.array([[0], [3]]), np.array([0.5]), 3)
    with pytest.raises(ValueError, match="2 edges but 1 scores"):
        ScoredGraph(np.array([[0, 1], [1, 2]]), np.array([0.5]), 3)
    assert compact_labels(np.array([7, 7, -1, 3, 9, 9, 9]), min_hits=2).tolist() == [0, 0, -1, -1, 1, 1, 1]


def test_walkthrough_keeps_both_hits_of_a_double_hit_layer():
    # particle: 0 -> {1, 1'=5} -> 2 -> {3, 3'=6} -> 4 (overlapping modules on two layers)
    edges = np.array([[0, 0, 1, 5, 2, 2, 3, 6], [1, 5, 2, 2, 3, 6, 4, 4]])
    graph = ScoredGraph(edges, np.full(8, 0.9), 7)
    labels = walkthrough(graph, min_hits=3)
    assert (labels == labels[0]).all() and labels[0] >= 0
    no_absorb = walkthrough(graph, min_hits=3, absorb_links=0, attach_cut=None)
    assert (no_absorb[[0, 1, 2, 3, 4]] == no_absorb[0]).all() and (no_absorb[[5, 6]] != no_absorb[0]).all()


def test_walkthrough_triplet_veto_stops_a_walk():
    edges = np.array([[0, 1, 1], [1, 2, 3]])
    triplets = np.array([[0, 0], [1, 2]])
    graph = ScoredGraph(edges, np.full(3, 0.9), 4, triplets, np.array([0.2, 0.3]))
    vetoed = walkthrough(graph, triplet_cut=0.5, min_hits=2, absorb_links=0, attach_cut=None)
    assert vetoed[0] == vetoed[1] >= 0 and vetoed[2] != vetoed[0] and vetoed[3] != vetoed[0]
    ranked = walkthrough(graph, triplet_cut=0.05, min_hits=2, absorb_links=0, attach_cut=None)
    assert ranked[0] == ranked[1] == ranked[3]  # the better triplet (0.3) wins


def test_leftover_hits_join_the_track_of_their_best_edge_above_the_attach_cut():
    # track 0-1-2-3 walked; hit 4 (second hit on hit 1's layer) links to 0 only (0.8, one link: not
    # absorbed); hit 5 links to 2 below the attach cut; hit 6 links to 1 (0.6) and to 7's track (0.9)
    edges = np.array([[0, 1, 2, 0, 2, 1, 7, 8, 9, 9], [1, 2, 3, 4, 5, 6, 8, 9, 6, 10]])
    scores = np.array([0.9, 0.9, 0.9, 0.8, 0.3, 0.6, 0.9, 0.9, 0.7, 0.9])
    graph = ScoredGraph(edges, scores, 11)
    walked = walkthrough(graph, score_cut=0.5, triplet_cut=0.05, min_hits=3, attach_cut=None)
    assert (walked[[0, 1, 2, 3]] == walked[0]).all() and walked[4] == walked[5] == -1
    labels = walkthrough(graph, score_cut=0.5, triplet_cut=0.05, min_hits=3, attach_cut=0.5)
    assert labels[4] == labels[0] and labels[5] == -1
    assert labels[6] == labels[9] != labels[0]  # the better of two tracks
    assert (labels[walked >= 0] == walked[walked >= 0]).all()  # walked hits keep their track


def test_best_per_key_takes_the_cheapest_entry_of_each_key():
    from trackgnn.tracking._labels import best_per_key

    key = np.array([7, 3, 7, 3, 5, 7])
    cost = np.array([2.0, 1.0, 1.0, 1.0, 9.0, 1.0])
    tie = np.array([0, 4, 9, 2, 0, 3])
    # per key in increasing order (3, 5, 7): lowest cost, then lowest tie-break, then first position
    assert best_per_key(key, cost, tie).tolist() == [3, 4, 5]
    assert best_per_key(key, cost).tolist() == [1, 4, 2]
    assert best_per_key(np.zeros(0, np.int64), np.zeros(0)).size == 0
