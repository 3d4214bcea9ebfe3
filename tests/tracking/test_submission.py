"""Track labels → TrackML submission rows."""

from __future__ import annotations

import numpy as np
import pytest

from trackgnn.tracking import to_submission


def test_every_hit_gets_exactly_one_track_and_singletons_are_unique():
    sub = to_submission(1000, np.array([11, 12, 13, 14, 15, 16]), np.array([5, -1, 5, 2, -1, 2]))
    assert list(sub.columns) == ["event_id", "hit_id", "track_id"]
    assert sub["event_id"].eq(1000).all()
    assert sub["track_id"].tolist() == [1, 3, 1, 2, 4, 2]
    assert sub["hit_id"].is_unique


def test_empty_event_and_mismatched_lengths():
    sub = to_submission(3, np.zeros(0), np.zeros(0))
    assert len(sub) == 0 and list(sub.columns) == ["event_id", "hit_id", "track_id"]
    with pytest.raises(ValueError, match="3 hit ids but 2 labels"):
        to_submission(3, np.arange(3), np.arange(2))
