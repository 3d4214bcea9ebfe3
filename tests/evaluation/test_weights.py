import numpy as np
import pandas as pd
import pytest

from trackgnn.evaluation import order_weight_table, pt_weight, weight_hits


def test_order_weights_for_four_hits():
    # proposal [10,8,6,5,3,3,3,5,6] sampled at 0, 8/3, 16/3, 8 -> 10, 5.333, 3, 6 (sum 24.333)
    expected = np.array([10, 6 - 2 / 3, 3, 6]) / (10 + 6 - 2 / 3 + 3 + 6)
    np.testing.assert_allclose(order_weight_table()[4, :4], expected)
    assert order_weight_table()[3].sum() == 0
    np.testing.assert_allclose(order_weight_table()[4:].sum(axis=1), 1.0)
    # nine hits use the proposal itself
    np.testing.assert_allclose(order_weight_table()[9, :9], np.array([10, 8, 6, 5, 3, 3, 3, 5, 6]) / 49)


def test_pt_weight_points():
    np.testing.assert_allclose(pt_weight([0.01, 0.05, 0.3, 0.5, 1.75, 3.0, 10.0]), [0, .2, .2, .2, .6, 1.0, 1.0])


def test_weight_hits_hand_event():
    # P1: pT 2.0 (w_pt .68), 4 hits; P2: pT 0.3 (w_pt .2), 4 hits; P3: 3 hits (n < 4 -> 0); noise -> 0
    particles = pd.DataFrame({
        "particle_id": [1, 2, 3], "vz": [10.0, 0.0, 0.0], "px": [2.0, 0.3, 5.0], "py": [0.0, 0.0, 0.0],
        "pz": [0.0, 0.0, 0.0], "nhits": [4, 4, 3],
    })
    # P1's hits are listed out of order: |tz - vz| ranks are 2, 0, 3, 1
    truth = pd.DataFrame({
        "hit_id": np.arange(1, 13),
        "particle_id": [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 0],
        "tz": [40.0, 15.0, 60.0, 5.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 0.0],
    })
    weights = weight_hits(truth, particles)["weight"].to_numpy()
    order = np.array([10, 6 - 2 / 3, 3, 6]) / (24 + 1 / 3)
    total = 0.68 + 0.2
    np.testing.assert_allclose(weights[:4], order[[2, 0, 3, 1]] * 0.68 / total, rtol=1e-6)
    np.testing.assert_allclose(weights[4:8], order * 0.2 / total, rtol=1e-6)
    assert weights[8:].sum() == 0
    assert weights.sum() == pytest.approx(1.0)


def test_weight_hits_phase_two_drops_secondaries():
    secondary = (1 << 36) | (1 << 24)
    particles = pd.DataFrame({"particle_id": [1 << 36, secondary], "vz": [0.0, 0.0], "px": [1.0, 1.0],
                              "py": [0.0, 0.0], "pz": [0.0, 0.0], "nhits": [4, 4]})
    truth = pd.DataFrame({"hit_id": np.arange(1, 9), "particle_id": [1 << 36] * 4 + [secondary] * 4,
                          "tz": np.arange(8.0)})
    phase1 = weight_hits(truth, particles, phase=1)["weight"].to_numpy()
    phase2 = weight_hits(truth, particles, phase=2)["weight"].to_numpy()
    assert phase1[4:].sum() == pytest.approx(0.5)
    assert phase2[4:].sum() == 0 and phase2.sum() == pytest.approx(1.0)


def test_normalisation_on_random_event():
    from tests.conftest import make_event

    truth = make_event(n_particles=50, hits_per_particle=12, n_noise=40)["truth"]
    assert truth["weight"].sum() == pytest.approx(1.0, rel=1e-5)
    assert (truth.loc[truth.particle_id == 0, "weight"] == 0).all()
