"""Following tracks outward, surface by surface, with the helix of their outermost hits."""

from __future__ import annotations

import numpy as np

from trackgnn.tracking import ScoredGraph, detector_surfaces, extend_tracks, follow_tracks, walkthrough


def scattered_particle(pt: float, charge: int, phi0: float, cot_theta: float, kick: float, rng) -> np.ndarray:
    """Hits of a particle from the origin in a 2 T field on the detector's barrel cylinders,
    its direction deflected by a random angle of ``kick`` rad (rms) at every hit, as multiple
    scattering does; stepped 0.5 mm at a time."""
    radius = pt / (0.3 * 2.0) * 1000.0  # [mm]
    cylinders = detector_surfaces().barrel_r
    x = y = z = 0.0
    phi, step, hits = phi0, 0.5, []
    for r_layer in cylinders:
        while np.hypot(x, y) < r_layer:
            phi -= charge * step / radius
            x, y, z = x + step * np.cos(phi), y + step * np.sin(phi), z + step * cot_theta
        hits.append((x, y, z))
        phi += rng.normal(0.0, kick)
        cot_theta += rng.normal(0.0, kick)
    return np.array(hits)


def test_a_scattered_low_pt_track_takes_its_outer_hits_one_surface_after_the_other():
    rng = np.random.default_rng(23)
    positions = scattered_particle(0.4, 1, 0.5, 0.3, 0.006, rng)
    labels = np.where(np.arange(len(positions)) < 5, 0, -1)  # the walk kept the 5 pixel and inner strip hits
    # one helix over the inner hits misses the outer ones by more than its tolerance
    assert (extend_tracks(labels, positions)[5:] == -1).any()
    assert (follow_tracks(labels, positions) == 0).all()
    # a track of 4 hits is not followed; hits already in a track are not taken
    four = np.where(np.arange(len(positions)) < 4, 0, -1)
    assert (follow_tracks(four, positions) == four).all()
    other = labels.copy()
    other[6] = 3
    followed = follow_tracks(other, positions)
    assert followed[6] == 3 and (followed[[5, 7, 8, 9]] == 0).all()


def test_holes_noise_and_inner_hits():
    rng = np.random.default_rng(29)
    positions = scattered_particle(0.6, -1, -2.0, -0.4, 0.006, rng)
    n = len(positions)
    labels = np.where(np.arange(n) < 5, 0, -1)
    # a hit 40 mm beside each outer hit (another particle's, or noise) is not taken
    beside = positions[5:] + np.array([0.0, 0.0, 40.0])
    both = np.concatenate([positions, beside])
    followed = follow_tracks(np.r_[labels, np.full(len(beside), -1)], both)
    assert (followed[:n] == 0).all() and (followed[n:] == -1).all()
    # one surface without a hit (a gap between modules) is passed, two in a row stop the track
    hole = np.delete(positions, 6, axis=0)
    assert (follow_tracks(np.delete(labels, 6), hole) == 0).all()
    holes = np.delete(positions, [6, 7], axis=0)
    assert (follow_tracks(np.delete(labels, [6, 7]), holes)[6:] == -1).all()
    # following goes outward only: free hits inside the track stay free
    inner_free = np.where(np.arange(n) < 2, -1, 0)
    assert (follow_tracks(inner_free, positions)[:2] == -1).all()


def test_walkthrough_follows_a_track_whose_outer_edges_the_graph_lost():
    rng = np.random.default_rng(31)
    positions = scattered_particle(0.4, -1, 1.0, 0.2, 0.006, rng)
    edges = np.array([[i, i + 1] for i in range(4)]).T  # no edge beyond the fifth hit
    graph = ScoredGraph(edges, np.full(edges.shape[1], 0.9), len(positions), positions=positions)
    assert (walkthrough(graph) == 0).all()
    assert (walkthrough(graph, follow=False)[5:] == -1).any()  # the extension alone leaves some


def test_walkthrough_follows_short_tracks_from_follow_min_hits():
    rng = np.random.default_rng(37)
    positions = scattered_particle(0.5, 1, -0.4, 0.1, 0.006, rng)
    edges = np.array([[0, 1], [1, 2]]).T  # the walk finds the first three hits only
    graph = ScoredGraph(edges, np.full(edges.shape[1], 0.9), len(positions), positions=positions)
    assert (walkthrough(graph)[3:] == -1).all()  # tracks of 3-4 hits are not followed by default
    assert (walkthrough(graph, follow_min_hits=3) == 0).all()


def test_following_inward_takes_the_inner_hits_a_fragment_lost():
    rng = np.random.default_rng(41)
    positions = scattered_particle(0.45, 1, 2.2, -0.2, 0.006, rng)
    n = len(positions)
    labels = np.where(np.arange(n) >= n - 4, 0, -1)  # the walk kept the 4 outermost hits
    assert (follow_tracks(labels, positions, min_hits=3) == labels).all()  # outward: nothing left to take
    inward = follow_tracks(labels, positions, min_hits=3, inward=True)
    assert (inward == 0).all()
    # a hit beside the path (another particle's, or noise) is not taken; a taken hit keeps its track
    beside = positions[: n - 4] + np.array([0.0, 0.0, 40.0])
    both = np.concatenate([positions, beside])
    followed = follow_tracks(np.r_[labels, np.full(len(beside), -1)], both, min_hits=3, inward=True)
    assert (followed[:n] == 0).all() and (followed[n:] == -1).all()
    other = labels.copy()
    other[1] = 7
    assert follow_tracks(other, positions, min_hits=3, inward=True)[1] == 7


def test_walkthrough_follows_inward_with_follow_inward():
    rng = np.random.default_rng(43)
    positions = scattered_particle(0.4, -1, -1.2, 0.3, 0.006, rng)
    n = len(positions)
    edges = np.array([[n - 3, n - 2], [n - 2, n - 1]]).T  # the graph kept the three outermost hits only
    graph = ScoredGraph(edges, np.full(edges.shape[1], 0.9), n, positions=positions)
    assert (walkthrough(graph, follow_min_hits=3)[: n - 3] == -1).all()
    assert (walkthrough(graph, follow_min_hits=3, follow_inward=True) == 0).all()
