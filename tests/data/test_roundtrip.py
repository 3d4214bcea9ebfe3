import zipfile

import numpy as np
import pandas as pd
import pytest

from trackgnn.data import COLUMNS, PARTS, event_prefix, list_events, load_dataset, load_event, load_detectors, write_event


def assert_frames_equal(written: pd.DataFrame, read: pd.DataFrame, part: str) -> None:
    assert list(read.columns) == [c for c in COLUMNS[part] if c in written.columns]
    for column in read.columns:
        assert read[column].dtype == np.dtype(COLUMNS[part][column]), column
        np.testing.assert_array_equal(read[column].to_numpy(), written[column].to_numpy().astype(COLUMNS[part][column]))


@pytest.mark.parametrize("compress", [False, True])
def test_write_then_load_every_part(tmp_path, small_event, compress):
    prefix = event_prefix(tmp_path, 1000)
    paths = write_event(prefix, compress=compress, **small_event)
    suffix = ".csv.gz" if compress else ".csv"
    assert sorted(p.name for p in paths) == sorted(f"event000001000-{p}{suffix}" for p in PARTS)
    frames = load_event(prefix)
    for part, frame in zip(PARTS, frames):
        assert_frames_equal(small_event[part], frame, part)


def test_parts_order_and_subset(tmp_path, small_event):
    prefix = event_prefix(tmp_path, 7)
    write_event(prefix, **small_event)
    truth, hits = load_event(prefix, parts=["truth", "hits"])
    assert "tpx" in truth.columns and "volume_id" in hits.columns


def test_particles_without_particle_type(tmp_path, small_event):
    old = small_event["particles"].drop(columns="particle_type")
    prefix = event_prefix(tmp_path, 1)
    write_event(prefix, hits=small_event["hits"], particles=old, truth=small_event["truth"])
    hits, particles, truth = load_event(prefix, parts=["hits", "particles", "truth"])
    assert "particle_type" not in particles.columns
    assert_frames_equal(old, particles, "particles")


def test_gz_is_byte_deterministic(tmp_path, small_event):
    a = write_event(tmp_path / "a" / "event000000001", compress=True, **small_event)
    b = write_event(tmp_path / "b" / "event000000001", compress=True, **small_event)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_load_dataset_directory_skip_nevents(tmp_path, small_event):
    for event_id in (1002, 1000, 1001):
        write_event(event_prefix(tmp_path, event_id), **small_event)
    assert [e for e, _ in list_events(tmp_path)] == [1000, 1001, 1002]
    got = [(e, len(h)) for e, h in load_dataset(tmp_path, skip=1, nevents=1, parts=["hits"])]
    assert got == [(1001, len(small_event["hits"]))]


def test_load_dataset_zip(tmp_path, small_event):
    src = tmp_path / "src"
    write_event(event_prefix(src, 5), **small_event)
    write_event(event_prefix(src, 6), compress=True, **small_event)
    archive = tmp_path / "events.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(src.iterdir()):
            zf.write(path, f"train_sample/{path.name}")
    events = list(load_dataset(archive, parts=["hits", "cells", "particles", "truth"]))
    assert [e[0] for e in events] == [5, 6]
    for event in events:
        for part, frame in zip(PARTS, event[1:]):
            assert_frames_equal(small_event[part], frame, part)


def test_cells_and_detectors_optional(tmp_path, small_event):
    prefix = event_prefix(tmp_path, 3)
    write_event(prefix, hits=small_event["hits"], particles=small_event["particles"], truth=small_event["truth"])
    (event_id, hits, truth), = load_dataset(tmp_path, parts=["hits", "truth"])
    assert event_id == 3 and len(hits) == len(truth)


def test_packaged_detectors_geometry():
    detectors = load_detectors()
    assert len(detectors) == 18728
    assert list(detectors.columns[:3]) == ["volume_id", "layer_id", "module_id"]
    barrel = detectors[detectors.volume_id == 8]
    assert barrel.groupby("layer_id").size().tolist() == [224, 448, 728, 1092]
