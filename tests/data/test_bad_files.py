"""Damaged files and events the geometry cannot place: one DataFormatError naming file, row and value."""

from __future__ import annotations

import re
import zipfile

import pytest

from trackgnn.data import event_prefix, load_dataset, load_event, write_event
from trackgnn.errors import DataFormatError


@pytest.fixture
def gz_dir(tmp_path, small_event):
    write_event(event_prefix(tmp_path, 1000), compress=True, **small_event)
    return tmp_path


def test_corrupt_gzip_body(gz_dir):
    hits = gz_dir / "event000001000-hits.csv.gz"
    hits.write_bytes(hits.read_bytes()[:10] + bytes(range(256)) * 4)  # gzip header, then junk
    with pytest.raises(DataFormatError, match=re.escape(f"{hits}: corrupt gzip data (Error -3 while decompressing")):
        load_event(event_prefix(gz_dir, 1000), parts=["hits"])


def test_truncated_gzip(gz_dir):
    hits = gz_dir / "event000001000-hits.csv.gz"
    hits.write_bytes(hits.read_bytes()[:-40])
    with pytest.raises(DataFormatError, match=re.escape(f"{hits}: malformed CSV (Compressed file ended")):
        load_event(event_prefix(gz_dir, 1000), parts=["hits"])


def test_corrupt_zip_member(tmp_path, small_event):
    text = small_event["hits"].to_csv(index=False).encode()
    archive = tmp_path / "events.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("event000001000-hits.csv", text)
    raw = bytearray(archive.read_bytes())
    start = raw.index(b"event000001000-hits.csv") + len("event000001000-hits.csv")  # deflate data follows
    raw[start + 20:start + 60] = bytes(40)
    archive.write_bytes(bytes(raw))
    with pytest.raises(DataFormatError, match=re.escape(f"{archive}:event000001000-hits.csv: corrupt zip data (")):
        next(load_dataset(archive, parts=["hits"]))


@pytest.mark.parametrize("ids, message", [
    ((99, 2, 1), "volume_id 99 is not a TrackML detector volume (volumes: 7, 8, 9, 12, 13, 14, 16, 17, 18)"),
    ((8, 3, 1), "layer_id 3 is not a layer of volume_id 8 (layers: 2, 4, 6, 8)"),
    ((8, 2, 225), "module_id 225 is not a module of volume_id 8, layer_id 2 (modules: 1-224)"),
    ((-1, 2, 1), "volume_id -1 is not a TrackML detector volume"),
])
def test_hit_on_a_module_the_geometry_does_not_have(tmp_path, small_event, ids, message):
    hits = small_event["hits"].copy()
    hits.loc[[4, 9], ["volume_id", "layer_id", "module_id"]] = ids
    write_event(event_prefix(tmp_path, 1000), hits=hits)
    name = tmp_path / "event000001000-hits.csv"
    with pytest.raises(DataFormatError) as info:
        load_event(event_prefix(tmp_path, 1000), parts=["hits"])
    assert str(info.value).startswith(f"{name}: {message}")
    assert str(info.value).endswith(f" in data row 5; 2 of {len(hits)} hits are on no module of the TrackML geometry")


def test_simulated_hits_are_all_on_known_modules():
    from trackgnn.data import unknown_modules
    from trackgnn.simulation import SimulationConfig, simulate_event

    hits = simulate_event(1000, SimulationConfig(seed=3, pileup=5)).hits
    assert not unknown_modules(hits["volume_id"], hits["layer_id"], hits["module_id"]).any()


def test_truth_particles_missing_from_the_particles_file(tmp_path, small_event):
    particles = small_event["particles"]
    write_event(event_prefix(tmp_path, 1000), **{**small_event, "particles": particles.iloc[2:]})
    missing = ", ".join(map(str, particles["particle_id"].iloc[:2]))
    with pytest.raises(DataFormatError) as info:
        load_event(event_prefix(tmp_path, 1000), parts=["particles", "truth"])
    assert str(info.value) == (
        f"{tmp_path}/event000001000-particles.csv: 2 particle_id(s) with hits in {tmp_path}/event000001000-truth.csv "
        f"are missing (first: {missing}); every particle with truth hits needs a row here")
    load_event(event_prefix(tmp_path, 1000), parts=["hits", "truth"])  # without particles nothing to check
