"""Stitching track pieces that one helix from the beam line explains."""

from __future__ import annotations

import numpy as np
import pytest

from trackgnn.errors import ConfigError
from trackgnn.tracking import ScoredGraph, TrackBuilder, detector_surfaces, extend_tracks, stitch_tracks, walkthrough

RADII = np.array([32.0, 72.0, 116.0, 172.0, 260.0, 360.0, 500.0, 660.0, 820.0, 1020.0])  # barrel layers [mm]


def helix(pt: float, charge: int, phi0: float, cot_theta: float, z0: float, rng, sigma: float = 0.05,
          radii: np.ndarray = RADII, disks: np.ndarray | None = None) -> np.ndarray:
    """Hits of a particle from (0, 0, z0) in a 2 T field on cylinders ``radii`` (or on disks at
    ``disks`` z) [mm], measured with ``sigma`` mm."""
    radius = pt / (0.3 * 2.0) * 1000.0 * charge  # signed [mm]
    s = 2 * radius * np.arcsin(radii / (2 * radius)) if disks is None else (disks - z0) / cot_theta
    x = radius * (np.sin(phi0 + s / radius) - np.sin(phi0))
    y = radius * (np.cos(phi0) - np.cos(phi0 + s / radius))
    z = z0 + s * cot_theta
    return np.column_stack([x, y, z]) + rng.normal(0.0, sigma, (len(s), 3))


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


def test_tracks_take_the_free_hits_their_helix_crosses_in_barrel_and_endcap():
    rng = np.random.default_rng(17)
    surfaces = detector_surfaces()
    radii, disks = surfaces.barrel_r, surfaces.disk_z
    central = helix(1.0, 1, 0.4, 0.3, 5.0, rng, radii=radii)
    forward_disks = np.sort(disks[disks > 0])[:8]
    forward = helix(2.0, -1, -2.0, 4.0, -10.0, rng, radii=radii, disks=forward_disks)
    positions = np.concatenate([central, forward])
    gap_central = (np.arange(len(central)) >= 4) & (np.arange(len(central)) < 7)  # hits a walk left out
    gap_forward = (np.arange(len(forward)) >= 3) & (np.arange(len(forward)) < 6)
    labels = np.concatenate([np.where(gap_central, -1, 0), np.where(gap_forward, -1, 1)])
    extended = extend_tracks(labels, positions)
    assert (extended[: len(central)] == 0).all() and (extended[len(central):] == 1).all()
    # a hit 5 mm off the circle, a track of 4 hits, and hits already tracked stay as they are
    off = positions.copy()
    off[5, :2] += 5.0 * np.array([-np.sin(0.4), np.cos(0.4)])
    assert extend_tracks(labels, off)[5] == -1 and extend_tracks(labels, off)[4] == 0
    four = np.where(np.arange(len(central)) < 4, 0, -1)
    assert (extend_tracks(four, central) == four).all()
    other = labels.copy()
    other[5] = 7
    assert extend_tracks(other, positions)[5] == 7


def test_walkthrough_stitches_then_fills_the_gap():
    rng = np.random.default_rng(19)
    positions = helix(1.5, 1, 2.5, -0.5, 0.0, rng, radii=detector_surfaces().barrel_r)
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [7, 8], [8, 9]]).T  # the graph lost hits 5 and 6
    graph = ScoredGraph(edges, np.full(edges.shape[1], 0.9), len(positions), positions=positions)
    assert (walkthrough(graph) == 0).all()
    without = walkthrough(graph, extend=False)
    assert (without[[5, 6]] == -1).all() and len(np.unique(without[without >= 0])) == 1
