"""Training a :class:`~trackgnn.tracking.TrackQualityNet`: truth labels per track and the fit."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from trackgnn.tracking._quality import TrackQualityNet

__all__ = ["fit_track_quality", "matched_tracks"]


def matched_tracks(labels: np.ndarray, particle_id: np.ndarray,
                   tracks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Double-majority truth of each track: the evaluation's :func:`~trackgnn.evaluation.majority_tracks`.

    A track matches its majority particle (the particle of most of its hits; ties: the lowest
    id) when that particle holds more than half of the track's hits and the track more than half
    of the particle's hits in the event.  Noise (particle 0) matches nothing.

    Parameters
    ----------
    labels : ndarray of shape (n_hits,)
        Track label per hit, −1 for none.
    particle_id : ndarray of shape (n_hits,)
        Truth particle of each hit, 0 for noise.
    tracks : ndarray of shape (T,)
        The labels to answer for (e.g. those of :func:`track_features`).

    Returns
    -------
    (matched, majority) : ndarray of shape (T,), bool and int64
        Whether each track matches, and its majority particle id (0 for a track of no hits).
    """
    import pandas as pd

    from trackgnn.evaluation import majority_tracks

    labels = np.asarray(labels, np.int64)
    tracks = np.asarray(tracks, np.int64)
    free = labels < 0  # each a track of its own, as in a submission; their hits still count for their particle
    track_id = np.where(free, np.iinfo(np.int64).min + np.cumsum(free), labels)
    table = majority_tracks(pd.DataFrame({"hit_id": np.arange(labels.size), "track_id": track_id,
                                          "particle_id": np.asarray(particle_id, np.int64)}))
    table = table.set_index("track_id").reindex(tracks)
    majority = table["majority_particle_id"].fillna(0).to_numpy(np.int64)
    matched = table["is_matched"].fillna(False).to_numpy(bool) & (majority != 0)
    return matched, majority


def fit_track_quality(features: Sequence[np.ndarray], matched: Sequence[np.ndarray],
                      weights: Sequence[np.ndarray], *, hidden_channels: int = 32, num_layers: int = 3,
                      epochs: int = 100, lr: float = 3e-3, batch_size: int = 4096, seed: int = 0,
                      log: Callable[[str], None] = print) -> TrackQualityNet:
    """Train a :class:`TrackQualityNet` on tracks of several events (weighted BCE, Adam).

    Parameters
    ----------
    features, matched, weights : sequences of ndarray
        Per event: (T, F) :func:`~trackgnn.tracking.track_features`, (T,) bool truth
        (:func:`matched_tracks`) and (T,) loss weight of each track.
    hidden_channels, num_layers
        The network (see :class:`TrackQualityNet`).
    epochs, lr, batch_size, seed
        Passes over all tracks, Adam's learning rate, tracks per step; the same seed and thread
        count give the same weights.
    log : callable
        Receives a line every 10 epochs (loss and accuracy).

    Returns
    -------
    TrackQualityNet
        In eval mode.
    """
    x = torch.from_numpy(np.concatenate(features).astype(np.float32))
    y = torch.from_numpy(np.concatenate(matched).astype(np.float32))
    w = torch.from_numpy(np.concatenate(weights).astype(np.float32))
    if x.shape[0] == 0:
        raise ValueError("fit_track_quality: no tracks to learn from (the events gave no tracks)")
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = TrackQualityNet(hidden_channels, num_layers)
    net.standardise_with(x)
    net.train()
    with torch.enable_grad():  # callers may run the chain under no_grad
        _train(net, x, y, w, epochs, lr, batch_size, generator, log)
    return net.eval()


def _train(net: TrackQualityNet, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor, epochs: int, lr: float,
           batch_size: int, generator: torch.Generator, log: Callable[[str], None]) -> None:
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, max(1, epochs))
    for epoch in range(epochs):
        order = torch.randperm(x.shape[0], generator=generator)
        total = 0.0
        for start in range(0, x.shape[0], batch_size):
            batch = order[start:start + batch_size]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x[batch]), y[batch], weight=w[batch],
                                                                        reduction="sum") / w[batch].sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * batch.numel()
        schedule.step()
        if (epoch + 1) % 10 == 0 or epoch + 1 == epochs:
            with torch.no_grad():
                accuracy = float(((net(x) > 0) == (y > 0.5)).float().mean())
            log(f"track quality: epoch {epoch + 1}/{epochs} loss {total / x.shape[0]:.4f} "
                f"accuracy {accuracy:.4f} ({x.shape[0]} tracks, {int(y.sum())} matched)")
