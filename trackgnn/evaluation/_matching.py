"""Track ↔ particle matching: the TrackML majority rule and double-majority matching."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trackgnn.errors import DataFormatError

__all__ = ["assign_tracks", "majority_tracks", "match_tracks", "score_event"]


def assign_tracks(truth: pd.DataFrame, submission: pd.DataFrame) -> pd.DataFrame:
    """Join ``submission`` onto ``truth`` by hit_id, checking every hit has exactly one track.

    Returns
    -------
    DataFrame
        hit_id, particle_id, weight (when in truth), track_id — one row per truth hit.
    """
    for column in ("hit_id", "track_id"):
        if column not in submission.columns:
            raise DataFormatError(
                f"submission: missing column {column!r} (found columns: {', '.join(map(str, submission.columns))})"
            )
    duplicated = submission["hit_id"].duplicated()
    if duplicated.any():
        raise DataFormatError(
            f"submission: hit_id {submission['hit_id'][duplicated].iloc[0]} is assigned to more than one track"
        )
    if submission["track_id"].isna().any():
        hit = submission.loc[submission["track_id"].isna(), "hit_id"].iloc[0]
        raise DataFormatError(f"submission: track_id is missing (NaN) for hit_id {hit}")
    columns = [c for c in ("hit_id", "particle_id", "weight") if c in truth.columns]
    merged = truth[columns].merge(submission[["hit_id", "track_id"]], on="hit_id", how="left")
    unassigned = merged["track_id"].isna()
    if unassigned.any():
        raise DataFormatError(
            f"submission: hit_id {merged['hit_id'][unassigned].iloc[0]} has no track_id "
            f"({int(unassigned.sum())} of {len(merged)} truth hits are not assigned; every hit needs one)"
        )
    extra = ~submission["hit_id"].isin(truth["hit_id"])
    if extra.any():
        raise DataFormatError(f"submission: hit_id {submission['hit_id'][extra].iloc[0]} is not in the truth file")
    merged["track_id"] = merged["track_id"].astype(np.int64)
    if "weight" in merged.columns:
        merged["weight"] = merged["weight"].astype(np.float64)
    return merged


def majority_tracks(assigned: pd.DataFrame) -> pd.DataFrame:
    """One row per track: its majority particle and the two double-majority fractions.

    The majority particle has the most hits in the track; ties go to the smaller
    particle_id.  A track ``is_matched`` when both fractions are strictly above 0.5.

    Returns
    -------
    DataFrame
        track_id, n_hits, majority_particle_id, n_majority, majority_weight,
        particle_nhits (truth rows of that particle), majority_fraction,
        particle_fraction, is_matched.
    """
    if "weight" not in assigned.columns:
        assigned = assigned.assign(weight=0.0)
    pairs = (
        assigned.groupby(["track_id", "particle_id"], sort=False)
        .agg(n_majority=("hit_id", "size"), majority_weight=("weight", "sum"))
        .reset_index()
        .sort_values(["track_id", "n_majority", "particle_id"], ascending=[True, False, True], kind="stable")
    )
    tracks = pairs.drop_duplicates("track_id", keep="first").rename(columns={"particle_id": "majority_particle_id"})
    n_hits = assigned.groupby("track_id").size()
    particle_nhits = assigned.groupby("particle_id").size()
    tracks["n_hits"] = n_hits.reindex(tracks["track_id"]).to_numpy()
    tracks["particle_nhits"] = particle_nhits.reindex(tracks["majority_particle_id"]).to_numpy()
    tracks["majority_fraction"] = tracks["n_majority"] / tracks["n_hits"]
    tracks["particle_fraction"] = tracks["n_majority"] / tracks["particle_nhits"]
    tracks["is_matched"] = (tracks["majority_fraction"] > 0.5) & (tracks["particle_fraction"] > 0.5)
    columns = ["track_id", "n_hits", "majority_particle_id", "n_majority", "majority_weight",
               "particle_nhits", "majority_fraction", "particle_fraction", "is_matched"]
    return tracks[columns].reset_index(drop=True)


def score_event(truth: pd.DataFrame, submission: pd.DataFrame) -> float:
    """The TrackML score of one event, like ``trackml.score.score_event``.

    Parameters
    ----------
    truth : DataFrame
        hit_id, particle_id, weight (see :func:`weight_hits`).
    submission : DataFrame
        hit_id, track_id; every truth hit exactly once.

    Returns
    -------
    float
        Sum of the weights of the majority particle's hits over all good tracks (1.0 is perfect).
    """
    if "weight" not in truth.columns:
        raise DataFormatError("truth: missing column 'weight' (compute it with weight_hits(truth, particles))")
    tracks = majority_tracks(assign_tracks(truth, submission))
    return float(tracks.loc[tracks["is_matched"], "majority_weight"].sum())


def match_tracks(
    truth: pd.DataFrame, submission: pd.DataFrame, particles: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Double-majority matching of tracks to particles, for efficiency, fake and duplicate rates.

    Returns
    -------
    tracks : DataFrame
        As :func:`majority_tracks`.
    particles : DataFrame
        One row per particle with truth hits (noise excluded): particle_id, pt (GeV), eta,
        nhits (truth rows), n_matched_tracks (double-majority tracks), n_majority_tracks
        (tracks whose hits are > 50 % this particle), is_reconstructed (n_matched_tracks ≥ 1).
    """
    tracks = majority_tracks(assign_tracks(truth, submission))
    counts = truth.loc[truth["particle_id"] != 0].groupby("particle_id").size().rename("nhits")
    result = counts.reset_index()
    kinematics = particles.drop_duplicates("particle_id").set_index("particle_id").reindex(result["particle_id"])
    px, py, pz = (kinematics[c].to_numpy(dtype=np.float64) for c in ("px", "py", "pz"))
    result["pt"] = np.hypot(px, py)
    result["eta"] = np.arcsinh(np.divide(pz, result["pt"].to_numpy(), out=np.zeros_like(pz), where=result["pt"].to_numpy() > 0))
    owner = tracks["majority_particle_id"]
    matched = tracks.loc[tracks["is_matched"]].groupby("majority_particle_id").size()
    majority = tracks.loc[tracks["majority_fraction"] > 0.5].groupby(owner).size()
    result["n_matched_tracks"] = matched.reindex(result["particle_id"], fill_value=0).to_numpy()
    result["n_majority_tracks"] = majority.reindex(result["particle_id"], fill_value=0).to_numpy()
    result["is_reconstructed"] = result["n_matched_tracks"] > 0
    return tracks, result
