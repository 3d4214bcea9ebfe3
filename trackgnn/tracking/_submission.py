"""Track labels → a TrackML submission table."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["to_submission"]


def to_submission(event_id: int, hit_ids: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """One row per hit: event_id, hit_id, track_id — every hit exactly one track.

    Parameters
    ----------
    event_id : int
    hit_ids : array_like
        (N,) TrackML hit ids.
    labels : array_like
        (N,) track label per hit; negative labels (no track) each become a track of
        their own, as the TrackML scorer needs every hit assigned.

    Returns
    -------
    DataFrame
        Columns event_id, hit_id, track_id (int64); track ids are 1..K for the
        labelled tracks in order of first appearance, then K+1.. for the single hits.
    """
    hit_ids = np.asarray(hit_ids, dtype=np.int64).reshape(-1)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if hit_ids.shape != labels.shape:
        raise ValueError(f"to_submission: {hit_ids.size} hit ids but {labels.size} labels")
    track_id = np.empty(labels.size, dtype=np.int64)
    assigned = labels >= 0
    n_tracks = 0
    if assigned.any():
        uniq, first, inverse = np.unique(labels[assigned], return_index=True, return_inverse=True)
        rank = np.empty(uniq.size, dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(uniq.size)
        track_id[assigned] = rank[inverse] + 1
        n_tracks = uniq.size
    track_id[~assigned] = n_tracks + 1 + np.arange(int((~assigned).sum()))
    return pd.DataFrame({
        "event_id": np.full(labels.size, int(event_id), dtype=np.int64),
        "hit_id": hit_ids,
        "track_id": track_id,
    })
