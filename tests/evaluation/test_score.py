"""Hand-built scoring cases; every expected value is worked out in the comment beside it."""

import numpy as np
import pandas as pd
import pytest

from trackgnn.errors import DataFormatError
from trackgnn.evaluation import majority_tracks, assign_tracks, match_tracks, score_event

A, B = 1, 2


@pytest.fixture
def truth():
    # particle A: hits 1-4 with weights .05 .10 .10 .15 (sum .40)
    # particle B: hits 5-8 with weight .15 each (sum .60); noise: hits 9-12 (weight 0)
    return pd.DataFrame({
        "hit_id": np.arange(1, 13),
        "particle_id": [A] * 4 + [B] * 4 + [0] * 4,
        "weight": [.05, .10, .10, .15] + [.15] * 4 + [0.0] * 4,
    })


def submit(*tracks):
    rows = [(hit, track_id) for track_id, hits in enumerate(tracks) for hit in hits]
    return pd.DataFrame(rows, columns=["hit_id", "track_id"])


def test_perfect(truth):
    assert score_event(truth, submit([1, 2, 3, 4], [5, 6, 7, 8], [9], [10], [11], [12])) == pytest.approx(1.0)


def test_everything_in_one_track(truth):
    # A and B tie at 4 of 12 hits: 4/12 is not > 0.5 -> score 0
    assert score_event(truth, submit(range(1, 13))) == 0.0


def test_split_track_half_is_not_enough(truth):
    # A split 2+2: each part holds 2/4 = 0.5 of A, not strictly more -> only B counts (0.60)
    assert score_event(truth, submit([1, 2], [3, 4], [5, 6, 7, 8], [9, 10, 11, 12])) == pytest.approx(0.60)


def test_split_track_majority_part_counts(truth):
    # A split 3+1: the 3-hit part (hits 1,2,3: .05+.10+.10 = .25) is good; + B .60 = .85
    assert score_event(truth, submit([1, 2, 3], [4], [5, 6, 7, 8], [9, 10, 11, 12])) == pytest.approx(0.85)


def test_merged_tracks(truth):
    # A(4) + B(3) merged: majority A with 4/7 > .5 and 4/4 -> .40; B's lone hit is 1/4 of B -> 0
    assert score_event(truth, submit([1, 2, 3, 4, 5, 6, 7], [8], [9, 10, 11, 12])) == pytest.approx(0.40)


def test_noise_only_tracks_and_noise_attached(truth):
    # noise-only tracks weigh nothing; A with 3 noise hits: 4/7 > .5 still good -> 1.0
    assert score_event(truth, submit([1, 2, 3, 4, 9, 10, 11], [5, 6, 7, 8], [12])) == pytest.approx(1.0)
    # A with all 4 noise hits: 4/8 = .5 is not > .5 -> A lost, B .60
    assert score_event(truth, submit([1, 2, 3, 4, 9, 10, 11, 12], [5, 6, 7, 8])) == pytest.approx(0.60)


def test_tie_goes_to_smaller_particle_id(truth):
    tracks = majority_tracks(assign_tracks(truth, submit([5, 6, 1, 2], [3, 4], [7, 8], [9, 10, 11, 12])))
    first = tracks.set_index("track_id").loc[0]
    assert first.majority_particle_id == A and first.n_majority == 2 and not first.is_matched
    noise = tracks.set_index("track_id").loc[3]
    assert noise.majority_particle_id == 0 and noise.majority_weight == 0


def test_random_submission_scores_about_zero():
    rng = np.random.default_rng(1)
    n_particles, n_hits = 2000, 10
    truth = pd.DataFrame({
        "hit_id": np.arange(1, n_particles * n_hits + 1),
        "particle_id": np.repeat(np.arange(1, n_particles + 1), n_hits),
        "weight": np.full(n_particles * n_hits, 1.0 / (n_particles * n_hits)),
    })
    submission = pd.DataFrame({"hit_id": truth.hit_id, "track_id": rng.integers(0, n_particles, len(truth))})
    assert score_event(truth, submission) < 0.01


def test_submission_errors(truth):
    with pytest.raises(DataFormatError, match=r"submission: hit_id 12 has no track_id \(1 of 12 truth hits"):
        score_event(truth, submit(range(1, 12)))
    with pytest.raises(DataFormatError, match="submission: hit_id 3 is assigned to more than one track"):
        score_event(truth, submit(range(1, 13), [3]))
    with pytest.raises(DataFormatError, match="submission: hit_id 99 is not in the truth file"):
        score_event(truth, submit(range(1, 13), [99]))
    with pytest.raises(DataFormatError, match="submission: missing column 'track_id'"):
        score_event(truth, pd.DataFrame({"hit_id": [1]}))


def test_match_tracks_particle_table(truth):
    particles = pd.DataFrame({"particle_id": [A, B], "px": [3.0, 0.3], "py": [4.0, 0.4], "pz": [0.0, 0.5]})
    tracks, table = match_tracks(truth, submit([1, 2, 3], [4], [5, 6], [7, 8], [9, 10, 11, 12]), particles)
    table = table.set_index("particle_id")
    assert table.loc[A, "pt"] == pytest.approx(5.0) and table.loc[A, "eta"] == pytest.approx(0.0)
    assert table.loc[B, "pt"] == pytest.approx(0.5) and table.loc[B, "eta"] == pytest.approx(np.arcsinh(1.0))
    assert bool(table.loc[A, "is_reconstructed"]) and not bool(table.loc[B, "is_reconstructed"])
    # B is split into two pure halves: two majority tracks, no double-majority match (a duplicate candidate)
    assert table.loc[B, "n_majority_tracks"] == 2 and table.loc[B, "n_matched_tracks"] == 0
    assert list(table.index) == [A, B]
