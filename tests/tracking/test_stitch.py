"""Stitching track pieces that one helix from the beam line explains."""

from __future__ import annotations

import numpy as np
import pytest

from trackgnn.errors import ConfigError
from trackgnn.tracking import ScoredGraph, TrackBuilder, stitch_tracks, walkthrough

RADII = np.array([32.0, 72.0, 116.0, 172.0, 260.0, 360.0, 500.0, 660.0, 820.0, 1020.0])  # barrel layers [mm]


def helix(pt: float, charge: int, phi0: float, cot_theta: float, z0: float, rng, sigma: float = 0.05) -> np.ndarray:
    """(len(RADII), 3) hits of a particle from (0, 0, z0) in a 2 T field, measured with ``sigma`` mm."""
    radius = pt / (0.3 * 2.0) * 1000.0 * charge  # signed [mm]
    s = 2 * radius * np.arcsin(RADII / (2 * radius))
    x = radius * (np.sin(phi0 + s / radius) - np.sin(phi0))
    y = radius * (np.cos(phi0) - np.cos(phi0 + s / radius))
    z = z0 + s * cot_theta
    return np.column_stack([x, y, z]) + rng.normal(0.0, sigma, (len(RADII), 3))


def test_pieces_of_each_helix_join_and_neighbours_stay_apart():
    rng = np.random.default_rng(3)
    particles = [  # two pairs of close neighbours: same direction, other curvature or other dip
        helix(1.5, 1, 0.30, 0.8, 10.0, rng), helix(1.2, -1, 0.32, 0.8, 10.0, rng),
        helix(4.0, 1, 2.00, -1.5, -40.0, rng), helix(4.0, 1, 2.01, -1.3, -40.0, rng),
        helix(0.8, -1, -1.00, 0.1, 25.0, rng),
    ]
    positions = np.concatenate(particles)
    particle = np.repeat(np.arange(len(particles)), len(RADII))
    split = np.tile(np.arange(len(RADII)) >= 5, len(particles))  # inner 5 hits / outer 5 hits
    labels = 2 * particle + split
    order = rng.permutation(len(labels))  # hit order must not matter
    labels, positions, particle = labels[order], positions[order], particle[order]

    stitched = stitch_tracks(labels, positions)

    # one track per particle, and no track holds two particles
    assert len(np.unique(stitched)) == len(particles)
    for p in range(len(particles)):
        assert len(np.unique(stitched[particle == p])) == 1
    for t in np.unique(stitched):
        assert len(np.unique(particle[stitched == t])) == 1
    # the inner piece of one neighbour and the outer piece of the other, alone: not one helix
    alone = np.where(((particle == 0) & (labels == 1)) | ((particle == 1) & (labels == 2)), labels, -1)
    assert len(np.unique(stitch_tracks(alone, positions)[alone >= 0])) == 2


def test_tolerances_overlap_and_short_pieces_keep_tracks_apart():
    rng = np.random.default_rng(5)
    positions = helix(2.0, 1, 1.0, 0.5, 0.0, rng)
    halves = (np.arange(len(RADII)) >= 5).astype(np.int64)
    assert len(np.unique(stitch_tracks(halves, positions))) == 1
    # a kink in x-y (a different particle continuing in the same direction) is not one helix
    bent = positions.copy()
    bent[5:, :2] += 15.0 * np.array([-np.sin(1.0), np.cos(1.0)])
    assert len(np.unique(stitch_tracks(halves, bent))) == 2
    # pieces that overlap in distance from the origin are not one track's inner and outer part
    alternating = np.arange(len(RADII)) % 2
    assert len(np.unique(stitch_tracks(alternating, positions))) == 2
    # pieces shorter than min_hits, and hits without a track, are left alone
    labels = np.array([-1, 0, 0, 0, 0, 1, 1, 1, 2, 2])
    out = stitch_tracks(labels, positions, min_hits=3)
    assert out[0] == -1 and out[8] == out[9] != out[7] and out[1] == out[5]
    assert (stitch_tracks(np.full(10, -1), positions) == -1).all()


def test_walkthrough_stitches_a_particle_whose_middle_edge_the_graph_lost():
    rng = np.random.default_rng(11)
    positions = helix(1.0, -1, 0.7, 2.0, 5.0, rng)
    edges = np.array([[i, i + 1] for i in range(len(RADII) - 1) if i != 4]).T  # no edge from hit 4 to 5
    graph = ScoredGraph(edges, np.full(edges.shape[1], 0.9), len(RADII), positions=positions)
    assert len(np.unique(walkthrough(graph))) == 1
    assert len(np.unique(walkthrough(graph, stitch=False))) == 2
    without = ScoredGraph(edges, np.full(edges.shape[1], 0.9), len(RADII))
    assert len(np.unique(walkthrough(without))) == 2  # no positions: nothing to fit


def test_stitch_option_and_positions_are_checked():
    with pytest.raises(ConfigError, match="option 'stitch' must be true or false, got 'yes'"):
        TrackBuilder("walkthrough", {"stitch": "yes"})
    with pytest.raises(ValueError, match=r"positions must have shape \(3, 3\)"):
        ScoredGraph(np.array([[0], [1]]), np.array([0.9]), 3, positions=np.zeros((3, 2)))
