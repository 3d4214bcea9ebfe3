"""Truth edges on hand-built events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trackgnn.processing import hit_truth, process_event, truth_edges


def _edge_set(edges: np.ndarray) -> set[tuple[int, int]]:
    return set(map(tuple, edges.T.tolist()))


def test_chain_follows_vertex_distance_not_file_order():
    pid = np.array([7, 7, 7, 7])
    dist = np.array([30.0, 10.0, 40.0, 20.0])
    layer = np.array([3, 1, 4, 2])
    assert _edge_set(truth_edges(pid, dist, layer)) == {(1, 3), (3, 0), (0, 2)}


def test_overlapping_modules_do_not_break_the_chain():
    # particle 5: layer 1 -> two hits on layer 2 (overlap) -> layer 3
    pid = np.array([5, 5, 5, 5])
    dist = np.array([10.0, 20.0, 20.5, 30.0])
    layer = np.array([1, 2, 2, 3])
    edges = _edge_set(truth_edges(pid, dist, layer))
    assert edges == {(0, 1), (0, 2), (1, 3), (2, 3)}
    assert (1, 2) not in edges and (2, 1) not in edges  # no edge inside one layer


def test_noise_and_single_hit_particles_have_no_edges():
    pid = np.array([0, 0, 9, 4, 4])
    dist = np.array([1.0, 2.0, 3.0, 5.0, 4.0])
    layer = np.array([1, 2, 3, 1, 2])
    assert _edge_set(truth_edges(pid, dist, layer)) == {(4, 3)}
    assert truth_edges(np.zeros(3, int), np.zeros(3), np.zeros(3, int)).shape == (2, 0)


def _hand_event():
    """Two particles from displaced vertices plus one noise hit; hits listed out of order."""
    hits = pd.DataFrame({
        "hit_id": np.arange(1, 8, dtype=np.int32),
        "x": np.array([72, 32, 116, 0, 0, 0, 5], np.float32),
        "y": np.array([0, 0, 0, 32, 72, 73, 5], np.float32),
        "z": np.array([10, 5, 15, 20, 40, 41, 0], np.float32),
        "volume_id": np.full(7, 8, np.int32),
        "layer_id": np.array([4, 2, 6, 2, 4, 4, 2], np.int32),
        "module_id": np.arange(7, dtype=np.int32),
    })
    truth = pd.DataFrame({
        "hit_id": hits["hit_id"], "particle_id": np.array([11, 11, 11, 22, 22, 22, 0], np.int64),
        "tx": hits["x"], "ty": hits["y"], "tz": hits["z"],
        "tpx": np.ones(7, np.float32), "tpy": np.zeros(7, np.float32), "tpz": np.zeros(7, np.float32),
        "weight": np.zeros(7, np.float32),
    })
    particles = pd.DataFrame({
        "particle_id": np.array([11, 22], np.int64),
        "vx": np.zeros(2, np.float32), "vy": np.zeros(2, np.float32), "vz": np.array([0, 30], np.float32),
        "px": np.array([3.0, 0.6], np.float32), "py": np.array([4.0, 0.8], np.float32),
        "pz": np.array([0.0, 1.0], np.float32), "q": np.array([1, -1], np.int32),
        "nhits": np.array([3, 3], np.int32),
    })
    return hits, particles, truth


def test_hit_truth_kinematics():
    hits, particles, truth = _hand_event()
    info = hit_truth(hits, particles, truth)
    np.testing.assert_allclose(info["pt"], [5, 5, 5, 1, 1, 1, 0], rtol=1e-6)
    np.testing.assert_allclose(info["particle_eta"][3], np.arcsinh(1.0), rtol=1e-6)
    np.testing.assert_array_equal(info["particle_nhits"], [3, 3, 3, 3, 3, 3, 0])


def test_process_event_on_hand_built_event():
    hits, particles, truth = _hand_event()
    data = process_event(1000, hits, None, particles, truth)
    assert data.num_nodes == 7 and data.event_id == 1000 and not data.has_cells
    # particle 11: hit 1 (r=32) -> hit 0 (r=72) -> hit 2 (r=116)
    # particle 22 (vertex at z=30): hit 3 (r=32, layer 2) -> hits 4 and 5 (layer 4, overlap)
    assert _edge_set(data.track_edges.numpy()) == {(1, 0), (0, 2), (3, 4), (3, 5)}
    assert data.hit_id.tolist() == list(range(1, 8))
    assert float(data.cell_count.abs().sum()) == 0.0


def test_event_without_truth_runs_and_is_all_noise():
    hits, _, _ = _hand_event()
    data = process_event(5, hits)
    assert data.track_edges.shape == (2, 0)
    assert int(data.particle_id.abs().sum()) == 0
