"""Simulated events: TrackML format, geometry, truth, determinism, round trip through the files."""

from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest

from trackgnn.data import COLUMNS, load_dataset, load_detectors, load_event
from trackgnn.errors import ConfigError
from trackgnn.evaluation import weight_hits
from trackgnn.simulation import (
    SimulationConfig,
    decode_particle_id,
    event_statistics,
    load_geometry,
    simulate_dataset,
    simulate_event,
)

SMALL = SimulationConfig(seed=7, pileup=15)


@pytest.fixture(scope="module")
def event():
    return simulate_event(1000, SMALL)


def test_columns_dtypes_and_ordering(event):
    for part, frame in zip(("hits", "cells", "particles", "truth"), event):
        assert list(frame.columns) == list(COLUMNS[part]), part
        assert [str(t) for t in frame.dtypes] == [np.dtype(d).name for d in COLUMNS[part].values()], part
    hits, cells, particles, truth = event
    np.testing.assert_array_equal(hits.hit_id, np.arange(1, len(hits) + 1))
    np.testing.assert_array_equal(truth.hit_id, hits.hit_id)
    keys = hits[["volume_id", "layer_id", "module_id"]].to_numpy()
    assert (np.diff(keys[:, 0] * 10**8 + keys[:, 1] * 10**5 + keys[:, 2]) >= 0).all()
    assert particles.particle_id.is_unique and particles.particle_id.is_monotonic_increasing
    assert set(particles.particle_type.abs()) <= {11, 13, 211, 321, 2212}


def test_every_hit_lies_on_a_module_of_its_layer(event):
    hits, _, _, truth = event
    geo = load_geometry()
    det = load_detectors()
    row = pd.MultiIndex.from_frame(det[["volume_id", "layer_id", "module_id"]]).get_indexer(
        pd.MultiIndex.from_frame(hits[["volume_id", "layer_id", "module_id"]]))
    assert (row >= 0).all()
    # the Geometry rows are the detectors rows sorted by ids, as the packaged file is
    module = row
    np.testing.assert_array_equal(geo.module_id[module], hits.module_id)
    for columns in (["x", "y", "z"], ["tx", "ty", "tz"]):
        frame = hits if columns[0] == "x" else truth
        local = geo.to_local(module, frame[columns].to_numpy(np.float64))
        tol = 2e-3  # float32 coordinates of points up to 3 m away
        assert (np.abs(local[:, 2]) <= geo.thickness[module] / 2).all(), columns
        assert (np.abs(local[:, 1]) <= geo.hv[module] + tol).all(), columns
        assert (np.abs(local[:, 0]) <= geo.half_width_u(module, local[:, 1]) + tol).all(), columns
    # measured positions are close to the truth: pixel-like in pixels, coarse along the strips
    particle = truth.particle_id.to_numpy() != 0
    diff = (hits[["x", "y", "z"]].to_numpy(np.float64) - truth[["tx", "ty", "tz"]].to_numpy(np.float64))[particle]
    dist = np.linalg.norm(diff, axis=1)
    pixel = hits.volume_id.isin([7, 8, 9]).to_numpy()[particle]
    assert np.median(dist[pixel]) < 0.03
    assert np.percentile(dist[~pixel], 90) < 12.0


def test_cells_truth_and_particles_are_consistent(event):
    hits, cells, particles, truth = event
    assert set(cells.hit_id) == set(hits.hit_id)
    assert (cells.value > 0).all() and (cells.ch0 >= 0).all() and (cells.ch1 >= 0).all()
    assert not cells.duplicated(["hit_id", "ch0", "ch1"]).any()
    # clusters grow with the crossing angle: in the pixel barrel, long clusters at large |eta|
    size = cells.groupby("hit_id").size()
    merged = truth.set_index("hit_id").join(size.rename("size")).join(hits.set_index("hit_id"))
    barrel = merged[(merged.volume_id == 8) & (merged.particle_id != 0)]
    eta = np.abs(np.arcsinh(barrel.tpz / np.hypot(barrel.tpx, barrel.tpy)))
    assert barrel["size"][eta > 2.0].mean() > 3.0 * barrel["size"][eta < 0.3].mean()
    # nhits is the number of truth rows; particles without hits are listed too
    counts = truth[truth.particle_id != 0].groupby("particle_id").size()
    nhits = particles.set_index("particle_id").nhits
    np.testing.assert_array_equal(counts.reindex(nhits.index, fill_value=0).to_numpy(), nhits.to_numpy())
    assert set(counts.index) <= set(particles.particle_id)
    # truth momenta: the particle's |p| less a little ionisation loss; noise has none
    p = np.linalg.norm(particles.set_index("particle_id")[["px", "py", "pz"]].to_numpy(np.float64), axis=1)
    p_at_hit = np.linalg.norm(truth[["tpx", "tpy", "tpz"]].to_numpy(np.float64), axis=1)
    p_of_particle = pd.Series(p, index=particles.particle_id).reindex(truth.particle_id).to_numpy()
    real = truth.particle_id.to_numpy() != 0
    ratio = p_at_hit[real] / p_of_particle[real]
    assert (ratio <= 1.0 + 1e-5).all() and (ratio > 0.0).all()
    assert np.median(ratio) > 0.99 and (ratio < 0.999).mean() > 0.1
    assert (p_at_hit[~real] == 0).all()
    assert 0.05 < (~real).mean() < 0.2
    # weights are the scorer's
    assert abs(truth.weight.sum() - 1.0) < 1e-4
    np.testing.assert_allclose(truth.weight, weight_hits(truth, particles).weight, atol=1e-9)


def test_particle_id_bit_fields(event):
    _, _, particles, _ = event
    fields = decode_particle_id(particles.particle_id.to_numpy())
    secondary = fields["generation"] != 0
    assert 0.1 < secondary.mean() < 0.35
    assert (fields["generation"][secondary] == 1).all()
    assert (fields["secondary_id"][secondary] >= 1).all() and (fields["secondary_id"][~secondary] == 0).all()
    assert (fields["vertex_id"] >= 1).all() and (fields["primary_id"] >= 1).all()
    # every secondary descends from a listed primary of the same vertex
    primaries = set(zip(fields["vertex_id"][~secondary], fields["primary_id"][~secondary]))
    assert set(zip(fields["vertex_id"][secondary], fields["primary_id"][secondary])) <= primaries
    pt = np.hypot(particles.px, particles.py).to_numpy()
    assert (pt[secondary] <= 1.0 + 1e-6).all()
    r0 = np.hypot(particles.vx, particles.vy).to_numpy()
    assert (r0[secondary] > 25.0).all()  # made in the modules
    assert (particles.q.abs() == 1).all()


def test_same_seed_same_files_whatever_the_workers(tmp_path):
    a = simulate_dataset(tmp_path / "a", 2, SMALL, workers=1, progress=False)
    b = simulate_dataset(tmp_path / "b", 2, SMALL, workers=2, progress=False, first_event_id=1000)
    c = simulate_dataset(tmp_path / "c", 1, SMALL.replace(seed=8), workers=1, progress=False)
    d = simulate_dataset(tmp_path / "d", 1, SMALL, workers=1, progress=False, first_event_id=1001)
    names = [f"event00000{e}-{part}.csv" for e in (1000, 1001) for part in ("hits", "cells", "particles", "truth")]
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names + ["detectors.csv"], shallow=False)
    assert sorted(match) == sorted(names + ["detectors.csv"]) and not mismatch and not errors
    assert [p.name for p in a] == [p.name for p in b] == ["event000001000", "event000001001"]
    # another seed gives another event; an event does not depend on the events before it
    assert not filecmp.cmp(tmp_path / "a" / names[0], tmp_path / "c" / names[0], shallow=False)
    assert filecmp.cmp(tmp_path / "a" / names[4], tmp_path / "d" / names[4], shallow=False)
    assert load_detectors(tmp_path / "a" / "detectors.csv").equals(load_detectors())


def test_round_trip_through_the_files(tmp_path, event):
    simulate_dataset(tmp_path, 1, SMALL, compress=True, progress=False)
    loaded = list(load_dataset(tmp_path))
    assert len(loaded) == 1 and loaded[0][0] == 1000
    for frame, read in zip(event, loaded[0][1:]):
        pd.testing.assert_frame_equal(frame, read, check_exact=True)
    stats = event_statistics(tmp_path)
    assert stats == event_statistics(event)
    assert stats["particles"] == len(event.particles) and stats["hits"] == len(event.hits)
    hits, = load_event(tmp_path / "event000001000", parts=("hits",))
    assert len(hits) == len(event.hits)


def test_bad_dataset_arguments(tmp_path):
    with pytest.raises(ConfigError, match="number of events must be >= 1, got 0"):
        simulate_dataset(tmp_path, 0, SMALL, progress=False)
    with pytest.raises(ConfigError, match="number of workers must be >= 1, got 0"):
        simulate_dataset(tmp_path, 1, SMALL, workers=0, progress=False)
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(Exception, match="output path exists and is not a directory"):
        simulate_dataset(target, 1, SMALL, progress=False)
