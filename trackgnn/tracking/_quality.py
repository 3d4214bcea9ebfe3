"""Track-quality selection: a small classifier over per-track features drops likely fakes.

A track builder on a complete event makes many tracks that match no particle: pieces of
low-pT loopers (each too short to hold half of its particle's hits), hits of several particles
that one walk or one helix joined, and noise.  Such a track adds nothing to the TrackML score
(only double-majority matched tracks count), so dropping it costs nothing; dropping a good one
costs its particle.  :class:`TrackQualityNet` scores each track from what the chain knows
without truth (the helix fit, the layers, the GNN's edge scores inside and around the track);
:func:`select_tracks` frees the hits of tracks scoring below a cut.  This is the ambiguity
resolution / track selection step of classical trackers, learnt as ATLAS's and ACTS's ML
ambiguity solvers are.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from trackgnn.models import MLP
from trackgnn.tracking._stitch import _helix_fits, fit_rms

__all__ = ["TRACK_FEATURES", "TrackQualityNet", "select_tracks", "track_features"]

#: Per-track features of :func:`track_features`, in column order.
TRACK_FEATURES: tuple[str, ...] = (
    "log_hits",          # log of the number of hits
    "log_rms_xy",        # log RMS distance [mm] of the hits to the circle through the origin
    "log_rms_sz",        # log RMS distance [mm] to the (arc length, z) line
    "log_pt",            # log of the pT [GeV] of that circle in a 2 T field, clipped to [0.05, 100]
    "abs_z0",            # |z| [100 mm] of the helix at the beam line, clipped at 5
    "abs_eta",           # |pseudorapidity| of the helix
    "r_min",             # innermost and outermost transverse radius of its hits [m]
    "r_max",
    "distance_min",      # distance of the innermost hit from the origin [m]
    "layer_fraction",    # distinct detector layers / hits (two hits on one layer: < 1)
    "edge_fraction",     # graph edges inside the track / (hits - 1)
    "edge_score_mean",   # mean and least GNN score of those edges (0 without any)
    "edge_score_min",
    "shared_fraction",   # edges scoring > 0.5 between the track and other hits, per hit
)

#: pT [GeV] per unit curvature [1/mm] in the 2 T field: 0.3 * B [T] * R [m].
_PT_PER_CURVATURE = 0.3 * 2.0 / 1000.0


def _group_min(group: np.ndarray, values: np.ndarray, n_groups: int, initial: float) -> np.ndarray:
    out = np.full(n_groups, initial)
    np.minimum.at(out, group, values)
    return out


def track_features(labels: np.ndarray, positions: np.ndarray, layers: np.ndarray, edge_index: np.ndarray,
                   edge_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The :data:`TRACK_FEATURES` of every track of ``labels``.

    Parameters
    ----------
    labels : ndarray of shape (n_hits,)
        Track label per hit, −1 for none.
    positions : ndarray of shape (n_hits, 3)
        x, y, z [mm].
    layers : ndarray of shape (n_hits,)
        Detector layer key per hit (:func:`trackgnn.processing.layer_key`).
    edge_index : ndarray of shape (2, n_edges)
    edge_scores : ndarray of shape (n_edges,)
        The GNN's scores of the graph the tracks were built on.

    Returns
    -------
    (tracks, features) : ndarray of shape (T,) and (T, len(TRACK_FEATURES)), float32
        The distinct labels in increasing order and their features.
    """
    labels = np.asarray(labels, np.int64)
    assigned = labels >= 0
    tracks, group = np.unique(labels[assigned], return_inverse=True)
    n_tracks = tracks.size
    if n_tracks == 0:
        return tracks, np.zeros((0, len(TRACK_FEATURES)), np.float32)
    pos = np.asarray(positions, np.float64)[assigned]
    fit = _helix_fits(group, n_tracks, pos)
    rms_xy, rms_sz = fit_rms(fit)
    n_hits = fit["n"].astype(np.float64)
    radius = np.hypot(pos[:, 0], pos[:, 1])
    distance = np.sqrt(radius * radius + pos[:, 2] ** 2)
    r_max = -_group_min(group, -radius, n_tracks, 0.0)
    layer_codes = np.unique(group * (int(np.max(layers)) + 1) + np.asarray(layers, np.int64)[assigned])
    n_layers = np.bincount(layer_codes // (int(np.max(layers)) + 1), minlength=n_tracks)

    track_of = np.full(labels.size, -1, np.int64)
    track_of[assigned] = group
    edge_index = np.asarray(edge_index, np.int64).reshape(2, -1)
    scores = np.asarray(edge_scores, np.float64)
    a, b = track_of[edge_index[0]], track_of[edge_index[1]]
    inside = (a >= 0) & (a == b)
    n_inside = np.bincount(a[inside], minlength=n_tracks)
    score_sum = np.bincount(a[inside], weights=scores[inside], minlength=n_tracks)
    score_min = _group_min(a[inside], scores[inside], n_tracks, 1.0)
    shared = (scores > 0.5) & ~inside
    n_shared = (np.bincount(a[shared & (a >= 0)], minlength=n_tracks)
                + np.bincount(b[shared & (b >= 0)], minlength=n_tracks))

    pt = _PT_PER_CURVATURE / np.maximum(np.abs(fit["kappa"]), 1e-9)
    eta = np.arcsinh(np.clip(fit["dip"], -50.0, 50.0))
    columns = [
        np.log(n_hits), np.log(rms_xy + 1e-3), np.log(rms_sz + 1e-3), np.log(np.clip(pt, 0.05, 100.0)),
        np.minimum(np.abs(fit["z0"]), 500.0) / 100.0, np.abs(eta),
        _group_min(group, radius, n_tracks, np.inf) / 1000.0, r_max / 1000.0,
        _group_min(group, distance, n_tracks, np.inf) / 1000.0,
        n_layers / n_hits, n_inside / np.maximum(n_hits - 1, 1), score_sum / np.maximum(n_inside, 1),
        np.where(n_inside > 0, score_min, 0.0), n_shared / n_hits,
    ]
    return tracks, np.column_stack(columns).astype(np.float32)


class TrackQualityNet(nn.Module):
    """P(track matches a particle) from its :data:`TRACK_FEATURES`.

    The features are standardised with the training set's mean and spread (buffers saved with
    the weights), then an :class:`~trackgnn.models.MLP` gives one logit per track.

    Parameters
    ----------
    hidden_channels : int
    num_layers : int
        Linear layers (≥ 1).
    """

    def __init__(self, hidden_channels: int = 32, num_layers: int = 3) -> None:
        super().__init__()
        width = len(TRACK_FEATURES)
        self.register_buffer("mean", torch.zeros(width))
        self.register_buffer("scale", torch.ones(width))
        self.mlp = MLP([width, *([hidden_channels] * (num_layers - 1)), 1], activation="silu", norm=None)

    def standardise_with(self, features: Tensor) -> None:
        """Set the standardisation from (n, F) training features."""
        self.mean.copy_(features.mean(0))
        self.scale.copy_(features.std(0).clamp_min(1e-6) if features.shape[0] > 1 else torch.ones_like(self.scale))

    def forward(self, features: Tensor) -> Tensor:
        """(T, F) features → (T,) logits."""
        return self.mlp((features - self.mean) / self.scale).squeeze(-1)

    @torch.no_grad()
    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(T,) float32 P(matched) of (T, F) NumPy features, in FP32 whatever the autocast around
        (the chain's ``--precision bf16`` runs the GNN stage under autocast)."""
        if features.shape[0] == 0:
            return np.zeros(0, np.float32)
        with torch.autocast("cpu", enabled=False):
            logits = self(torch.from_numpy(np.ascontiguousarray(features, np.float32)))
        return torch.sigmoid(logits).float().numpy()


def select_tracks(labels: np.ndarray, tracks: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``labels`` with the hits of ``tracks[~keep]`` set to −1 (no track)."""
    labels = np.asarray(labels, np.int64)
    dropped = np.asarray(tracks)[~np.asarray(keep, bool)]
    if dropped.size == 0:
        return labels.copy()
    return np.where(np.isin(labels, dropped), -1, labels)
