"""Binned double-majority efficiency, fake and duplicate rates on a hand-built event."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from trackgnn.evaluation import match_tracks
from trackgnn.evaluation._performance import (
    reconstructable,
    track_eta,
    tracking_counts,
)
from trackgnn.evaluation._plots import plot_efficiency, plot_event_display, plot_fake_duplicate

# particles: A pT 2 (6 hits), B pT 0.5 (6 hits), C pT 1.5 (4 hits: not reconstructable), D pT 3 (5 hits),
# E pT 0.3 (2 hits)
PARTICLES = pd.DataFrame({
    "particle_id": [1, 2, 3, 4, 5],
    "vx": 0.0, "vy": 0.0, "vz": 0.0,
    "px": [2.0, 0.5, 1.5, 3.0, 0.3], "py": 0.0, "pz": [0.0, 0.0, 4.0, -10.0, 0.0],
    "q": 1, "nhits": [6, 6, 4, 5, 2],
})
HIT_PARTICLE = [1] * 6 + [2] * 6 + [3] * 4 + [4] * 5 + [0, 0] + [5, 5, 0, 0]
# tracks: 10 = A1-4 (matched); 11 = A5-6 + noise (owned by A, not matched: a split piece, duplicate);
# 12 = B all (matched); 13 = C all (matched, C not selected); 14 = D1-3 (matched);
# 15 = D4-5 + noise (owned by D: duplicate); 16 = E1-2 + 2 noise (majority tie -> noise: fake)
TRACK = [10] * 4 + [11] * 2 + [12] * 6 + [13] * 4 + [14] * 3 + [15] * 2 + [11, 15] + [16] * 4


def _event():
    n = len(HIT_PARTICLE)
    truth = pd.DataFrame({"hit_id": np.arange(1, n + 1), "particle_id": HIT_PARTICLE, "weight": 0.0})
    submission = pd.DataFrame({"hit_id": np.arange(1, n + 1), "track_id": TRACK})
    return truth, submission


def test_reconstructable_selection():
    _, particles = match_tracks(*_event(), PARTICLES)
    assert particles.loc[reconstructable(particles, min_hits=5), "particle_id"].tolist() == [1, 2, 4]
    assert particles.loc[reconstructable(particles, min_hits=5, pt_min=1.0), "particle_id"].tolist() == [1, 4]
    assert particles.loc[reconstructable(particles, min_hits=4, max_abs_eta=1.0), "particle_id"].tolist() == [1, 2]


def test_counts_and_rates_by_hand():
    tracks, particles = match_tracks(*_event(), PARTICLES)
    counts = tracking_counts(tracks, particles, reconstructable(particles, min_hits=5, pt_min=1.0))
    rates = counts.rates()
    # selected A, D: both reconstructed; owned tracks: A{10, 11}, D{14, 15} -> 2 duplicates of 4
    assert (rates.n_particles, rates.n_reconstructed) == (2, 2)
    assert rates.efficiency == (1.0, 0.0)
    assert (rates.n_owned, rates.n_duplicates) == (4, 2)
    assert rates.duplicate_rate[0] == pytest.approx(0.5)
    assert rates.duplicate_rate[1] == pytest.approx(np.sqrt(0.25 / 4))
    # candidate tracks (>= 3 hits): 10 .. 16; fake: 16 (owned by no particle); not matched: 11, 15, 16
    assert (rates.n_tracks, rates.n_fakes, rates.n_unmatched) == (7, 1, 3)
    assert rates.fake_rate[0] == pytest.approx(1 / 7)
    assert rates.unmatched_rate[0] == pytest.approx(3 / 7)
    # pT bins: A (2 GeV) in [1.5, 2) edge? 2.0 falls in [2, 3); D in [3, 5)
    bins = np.asarray(rates.pt_bins)
    in_bin = lambda pt: int(np.searchsorted(bins, pt, side="right") - 1)  # noqa: E731
    assert rates.efficiency_pt["count"][in_bin(2.0)] == 1 and rates.efficiency_pt["value"][in_bin(2.0)] == 1.0
    assert rates.efficiency_pt["count"][in_bin(0.5)] == 0 and np.isnan(rates.efficiency_pt["value"][in_bin(0.5)])
    assert sum(rates.efficiency_eta["count"]) == 2
    # min_track_hits=4 drops tracks 11, 14, 15: D is then lost
    strict = tracking_counts(tracks, particles, reconstructable(particles, pt_min=1.0), min_track_hits=4).rates()
    assert strict.n_reconstructed == 1 and strict.n_fakes == 1 and strict.n_tracks == 4


def test_all_reconstructable_particles_and_adding_events():
    tracks, particles = match_tracks(*_event(), PARTICLES)
    one = tracking_counts(tracks, particles, reconstructable(particles, min_hits=5))
    two = (one + one).rates()
    assert (two.n_particles, two.n_reconstructed, two.n_tracks, two.n_fakes) == (6, 6, 14, 2)
    assert two.efficiency_pt["count"] == [2 * c for c in one.rates().efficiency_pt["count"]]


def test_fakes_binned_by_track_eta_from_hits():
    truth, submission = _event()
    hits = pd.DataFrame({"hit_id": truth["hit_id"], "x": 100.0, "y": 0.0, "z": 0.0})
    hits.loc[submission["track_id"].eq(16).to_numpy(), "z"] = 1000.0  # track 16 at eta = asinh(10)
    eta = track_eta(hits, submission)
    assert eta[16] == pytest.approx(np.arcsinh(10.0)) and eta[10] == 0.0
    tracks, particles = match_tracks(truth, submission, PARTICLES)
    rates = tracking_counts(tracks, particles, reconstructable(particles), track_eta=eta).rates()
    # asinh(10) ≈ 2.998 -> bin [2.5, 3.0) (index 13); the six other tracks at eta 0 -> bin [0, 0.5) (index 8)
    fakes = rates.fake_rate_eta
    assert fakes["count"][13] == 1 and fakes["value"][13] == 1.0
    assert fakes["count"][8] == 6 and fakes["value"][8] == 0.0


def test_empty_event_gives_nan_rates_not_errors():
    truth = pd.DataFrame({"hit_id": [1, 2], "particle_id": [0, 0], "weight": 0.0})
    submission = pd.DataFrame({"hit_id": [1, 2], "track_id": [1, 2]})
    tracks, particles = match_tracks(truth, submission, PARTICLES.iloc[:0])
    rates = tracking_counts(tracks, particles, reconstructable(particles)).rates()
    assert rates.n_particles == 0 and np.isnan(rates.efficiency[0])
    assert json.dumps(rates.to_dict(), allow_nan=False)


def test_plots_write_png_and_json(tmp_path):
    tracks, particles = match_tracks(*_event(), PARTICLES)
    rates = {
        "pT > 1 GeV": tracking_counts(tracks, particles, reconstructable(particles, pt_min=1.0)).rates(),
        "all": tracking_counts(tracks, particles, reconstructable(particles)).rates(),
    }
    for function, name in ((plot_efficiency, "eff.png"), (plot_fake_duplicate, "fake.png")):
        path = function(rates, tmp_path / name)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        numbers = json.loads(path.with_suffix(".json").read_text())
        assert set(numbers) == {"pT > 1 GeV", "all"}
    eff = json.loads((tmp_path / "eff.json").read_text())
    assert eff["all"]["efficiency_pt"]["count"] == rates["all"].efficiency_pt["count"]
    rng = np.random.default_rng(0)
    x, y, z = rng.normal(size=(3, 50)) * 300
    labels = np.repeat(np.arange(10), 5)
    labels[:5] = -1
    display = plot_event_display(x, y, z, labels, tmp_path / "event.png")
    assert display.stat().st_size > 1000
    assert json.loads(display.with_suffix(".json").read_text())["n_tracks"] == 9


def test_pieces_of_an_unreconstructed_particle_are_fakes_not_duplicates():
    # A's six hits split 3 + 3 (+ one noise hit): no piece holds > 50 % of A, so A is not
    # reconstructed; both pieces are owned by A but, with no matched track to duplicate, they are fakes.
    truth, submission = _event()
    track = np.array(TRACK)
    track[:6] = [10, 10, 10, 11, 11, 11]
    submission = submission.assign(track_id=track)
    tracks, particles = match_tracks(truth, submission, PARTICLES)
    rates = tracking_counts(tracks, particles, reconstructable(particles, min_hits=5, pt_min=1.0)).rates()
    assert (rates.n_particles, rates.n_reconstructed) == (2, 1)
    assert (rates.n_owned, rates.n_duplicates) == (4, 1)  # A{10, 11} not duplicates; D{14, 15}: one
    assert (rates.n_tracks, rates.n_fakes) == (7, 3)  # 10, 11 and 16


def test_pt_window_selection():
    _, particles = match_tracks(*_event(), PARTICLES)
    window = reconstructable(particles, min_hits=5, pt_min=0.4, pt_max=1.0)
    assert particles.loc[window, "particle_id"].tolist() == [2]
