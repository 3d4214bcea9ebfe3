"""The score budget: which particles each stage's graph still lets the chain find, weighted like the score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trackgnn.evaluation import BUDGET_KINDS, ScoreBudget, match_tracks, reachable_particles, score_budget, score_event

FAST = 1 << 55  # primary ids: generation bits 24-35 zero
SLOW = 2 << 55
SECONDARY = (3 << 55) | (1 << 24)


def test_a_particle_is_reachable_when_more_than_half_of_its_hits_are_one_connected_piece():
    particle = np.array([7, 7, 7, 7, 9, 9, 0, 0])
    halves = np.array([[0, 2], [1, 3]])  # two pieces of two hits: half, not more
    assert reachable_particles(halves, particle).tolist() == []
    assert reachable_particles(np.c_[halves, [1, 2]], particle).tolist() == [7]
    # edges to another particle's hits or to noise join nothing
    assert reachable_particles(np.array([[0, 1, 2, 4, 6], [4, 6, 4, 5, 7]]), particle).tolist() == [9]
    assert reachable_particles(np.zeros((2, 0), np.int64), particle).tolist() == []


@pytest.fixture
def event():
    truth = pd.DataFrame({
        "hit_id": np.arange(1, 15),
        "particle_id": [FAST] * 4 + [SLOW] * 4 + [SECONDARY] * 4 + [0, 0],
        "weight": [0.1] * 4 + [0.05] * 4 + [0.05] * 4 + [0.0, 0.0],
    })
    particles = pd.DataFrame({"particle_id": [FAST, SLOW, SECONDARY], "px": [2.0, 0.2, 0.0], "py": [0.0, 0.0, 0.4],
                              "pz": [1.0, 0.1, -0.3]})
    chain = lambda rows: np.array([rows[:-1], rows[1:]])  # noqa: E731
    graphs = {"embedding": np.c_[chain([0, 1, 2, 3]), [[4, 6], [5, 7]], chain([8, 9, 10, 11])],
              "filter": np.c_[chain([0, 1, 2, 3]), chain([8, 9, 10])]}
    track = [1] * 4 + [2, 3, 4, 5] + [6, 6, 6, 7] + [6, 8]  # the secondary's track holds 3 of its 4 hits and noise
    submission = pd.DataFrame({"hit_id": truth["hit_id"], "track_id": track})
    return truth, particles, graphs, submission


def test_score_budget_sums_the_score_weights_per_kind_and_stage(event):
    truth, particles, graphs, submission = event
    tracks, particle_table = match_tracks(truth, submission, particles)
    # the graphs index rows of hits listed in another order than the truth's
    row_particle = truth["particle_id"].to_numpy()[::-1]
    rows = {stage: (13 - edges) for stage, edges in graphs.items()}
    budget = score_budget(truth, particle_table, row_particle, rows, tracks)
    kinds = list(BUDGET_KINDS)
    expected = dict.fromkeys(kinds, 0.0)
    expected |= {"primaries pT > 1 GeV": 0.4, "primaries pT < 0.3 GeV": 0.2, "secondaries": 0.2}
    np.testing.assert_allclose(budget.weight, [expected[k] for k in kinds])
    reach = {"primaries pT > 1 GeV": 0.4, "secondaries": 0.2}  # the slow particle's graph is two halves
    np.testing.assert_allclose(budget.reachable["embedding"], [reach.get(k, 0.0) for k in kinds])
    np.testing.assert_allclose(budget.reachable["filter"], [reach.get(k, 0.0) for k in kinds])
    scored = {"primaries pT > 1 GeV": 0.4, "secondaries": 0.15}
    np.testing.assert_allclose(budget.scored, [scored.get(k, 0.0) for k in kinds])
    assert budget.scored.sum() == pytest.approx(score_event(truth, submission))


def test_budgets_add_up_over_events_and_report_per_event(event):
    truth, particles, graphs, submission = event
    tracks, particle_table = match_tracks(truth, submission, particles)
    one = score_budget(truth, particle_table, truth["particle_id"].to_numpy(), graphs, tracks)
    total = ScoreBudget() + one + one
    assert total.n_events == 2
    per_event = total.per_event()
    assert list(per_event) == list(BUDGET_KINDS)
    assert per_event["secondaries"] == pytest.approx({"weight": 0.2, "embedding": 0.2, "filter": 0.2, "scored": 0.15})


def test_an_event_without_graphs_has_weights_and_scores_only(event):
    truth, particles, _, submission = event
    tracks, particle_table = match_tracks(truth, submission, particles)
    budget = score_budget(truth, particle_table, None, {}, tracks)
    assert budget.reachable == {} and budget.weight.sum() == pytest.approx(0.8)
    assert budget.scored.sum() == pytest.approx(score_event(truth, submission))
