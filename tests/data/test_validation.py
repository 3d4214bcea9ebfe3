"""Every malformed input gives one clear message naming the file, the column and the value."""

import re

import numpy as np
import pytest

from trackgnn.data import event_prefix, load_dataset, load_event, write_event
from trackgnn.errors import DataFormatError


@pytest.fixture
def event_dir(tmp_path, small_event):
    write_event(event_prefix(tmp_path, 1000), **small_event)
    return tmp_path


def rewrite(path, transform):
    path.write_text(transform(path.read_text()))


def set_field(path, line: int, field: int, value: str) -> None:
    """Replace one comma-separated field of one line (line 0 is the header)."""
    lines = path.read_text().splitlines()
    fields = lines[line].split(",")
    fields[field] = value
    lines[line] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")


def test_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match=re.escape(f"{tmp_path}/event000000009-hits.csv: file not found")):
        load_event(event_prefix(tmp_path, 9), parts=["hits"])


def test_missing_column(event_dir):
    hits = event_dir / "event000001000-hits.csv"
    rewrite(hits, lambda s: s.replace("volume_id", "volume", 1))
    with pytest.raises(DataFormatError, match=r"hits\.csv: missing column 'volume_id' \(found columns: hit_id, x, y, z, volume,"):
        load_event(event_prefix(event_dir, 1000), parts=["hits"])


def test_non_numeric_coordinate(event_dir):
    set_field(event_dir / "event000001000-hits.csv", line=3, field=2, value="abc")
    with pytest.raises(DataFormatError, match=r"hits\.csv: column 'y' has non-numeric value 'abc' in data row 3"):
        load_event(event_prefix(event_dir, 1000), parts=["hits"])


def test_nan_coordinate(event_dir, small_event):
    hits = small_event["hits"].copy()
    hits.loc[4, "z"] = np.nan
    write_event(event_prefix(event_dir, 1000), hits=hits)
    with pytest.raises(DataFormatError, match=r"hits\.csv: column 'z' has a missing value \(NaN\) in data row 5"):
        load_event(event_prefix(event_dir, 1000), parts=["hits"])


def test_duplicate_hit_id(event_dir, small_event):
    hits = small_event["hits"].copy()
    hits.loc[6, "hit_id"] = hits.loc[2, "hit_id"]
    write_event(event_prefix(event_dir, 1000), hits=hits)
    with pytest.raises(DataFormatError, match=r"hits\.csv: duplicate hit_id 3 in data row 7"):
        load_event(event_prefix(event_dir, 1000), parts=["hits"])


def test_truth_hit_not_in_hits(event_dir, small_event):
    truth = small_event["truth"].copy()
    truth.loc[0, "hit_id"] = 99999
    write_event(event_prefix(event_dir, 1000), truth=truth)
    with pytest.raises(DataFormatError, match=r"truth\.csv: hit_id 99999 \(data row 1\) is not in .*hits\.csv"):
        load_event(event_prefix(event_dir, 1000), parts=["hits", "truth"])


def test_empty_event(event_dir, small_event):
    write_event(event_prefix(event_dir, 1000), hits=small_event["hits"].iloc[:0])
    with pytest.raises(DataFormatError, match=r"hits\.csv: event has no hits"):
        next(load_dataset(event_dir, parts=["hits"]))


def test_empty_file_and_malformed_csv(event_dir):
    hits = event_dir / "event000001000-hits.csv"
    hits.write_text("")
    with pytest.raises(DataFormatError, match=r"hits\.csv: file is empty; expected a header"):
        load_event(event_prefix(event_dir, 1000), parts=["hits"])
    hits.write_text("hit_id,x,y,z,volume_id,layer_id,module_id\n1,2,3,4,5,6,7\n1,2,3,4,5,6,7,8,9\n")
    with pytest.raises(DataFormatError, match=r"hits\.csv: malformed CSV"):
        load_event(event_prefix(event_dir, 1000), parts=["hits"])


def test_integer_column_with_fraction(event_dir):
    set_field(event_dir / "event000001000-hits.csv", line=1, field=4, value="8.5")
    with pytest.raises(DataFormatError, match=r"column 'volume_id' needs integers, got 8.5 in data row 1"):
        load_event(event_prefix(event_dir, 1000), parts=["hits"])


def test_not_a_dataset(tmp_path):
    with pytest.raises(DataFormatError, match="no TrackML event files"):
        next(load_dataset(tmp_path))
    with pytest.raises(DataFormatError, match="dataset not found"):
        next(load_dataset(tmp_path / "nope"))
