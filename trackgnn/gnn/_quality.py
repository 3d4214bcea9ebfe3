"""The GNN stage's track selection: fitted after the GNN on its training events, applied after track building.

The classifier is saved beside the GNN checkpoint (``checkpoints/track_quality.pt``) with the
run id and epoch of the GNN checkpoint it was fitted for: a retrained GNN makes it stale, and
loading a stale or missing one is a :class:`~trackgnn.errors.CheckpointError` naming the
command that fits it (``trackgnn train <config>``).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from trackgnn.gnn._config import GNNStageConfig, TrackQualityConfig

__all__ = ["QUALITY_FILE", "TrackSelection", "fit_selection", "load_selection", "quality_path"]

#: File name of the track-quality classifier, beside the GNN checkpoint it belongs to.
QUALITY_FILE = "track_quality.pt"


def quality_path(gnn_checkpoint: str | Path) -> Path:
    """Where the classifier of the GNN checkpoint ``gnn_checkpoint`` is saved."""
    return Path(gnn_checkpoint).parent / QUALITY_FILE


def _fingerprint(config: GNNStageConfig, gnn_state: dict) -> dict:
    from trackgnn.tracking import TRACK_FEATURES

    quality = config.tracking.quality
    return {"gnn_run_id": gnn_state.get("run_id"), "gnn_epoch": gnn_state.get("epoch"),
            "tracking": {"method": config.tracking.method, "options": dict(config.tracking.options)},
            "features": list(TRACK_FEATURES),
            "fit": {key: getattr(quality, key)  # what the fit depends on; cut and refill apply at inference
                    for key in ("hidden_channels", "num_layers", "epochs", "lr", "batch_size", "high_pt_weight")}}


class TrackSelection:
    """Drop the tracks a :class:`~trackgnn.tracking.TrackQualityNet` scores below ``cut``, then
    (``refill_min_hits`` set) let the kept tracks take the freed hits (see
    :class:`~trackgnn.gnn.TrackQualityConfig`).

    Called as ``selection(labels, graph, layers)`` with the builder's labels, the
    :class:`~trackgnn.tracking.ScoredGraph` they were built on and the hits' layer keys.
    """

    def __init__(self, net, cut: float, refill_min_hits: int | None = None,
                 refill_max_dist: tuple[float, float] | None = None) -> None:
        self.net = net
        self.cut = cut
        self.refill_min_hits = refill_min_hits
        self.refill_max_dist = refill_max_dist or (TrackQualityConfig.refill_max_dist_xy,
                                                   TrackQualityConfig.refill_max_dist_sz)

    @classmethod
    def from_config(cls, net, config: GNNStageConfig) -> "TrackSelection":
        quality = config.tracking.quality
        return cls(net, quality.cut, quality.refill_min_hits if quality.refill else None,
                   (quality.refill_max_dist_xy, quality.refill_max_dist_sz))

    def probabilities(self, labels: np.ndarray, graph, layers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(tracks, P(matched)) of the tracks of ``labels``."""
        from trackgnn.tracking import track_features

        tracks, features = track_features(labels, graph.positions, layers, graph.edge_index, graph.scores)
        return tracks, self.net.probabilities(features)

    def __call__(self, labels: np.ndarray, graph, layers: np.ndarray) -> np.ndarray:
        from trackgnn.tracking import extend_tracks, follow_tracks, select_tracks

        tracks, probability = self.probabilities(labels, graph, layers)
        labels = select_tracks(labels, tracks, probability >= self.cut)
        if self.refill_min_hits is not None and graph.positions is not None:
            max_xy, max_sz = self.refill_max_dist
            labels = extend_tracks(labels, graph.positions, max_dist_xy=max_xy, max_dist_sz=max_sz)
            labels = follow_tracks(labels, graph.positions, min_hits=self.refill_min_hits)
        return labels


def load_selection(config: GNNStageConfig, gnn_checkpoint: Path, gnn_state: dict) -> TrackSelection:
    """The selection fitted for the GNN checkpoint ``gnn_checkpoint`` (whose contents are ``gnn_state``)."""
    from trackgnn.errors import CheckpointError
    from trackgnn.tracking import TrackQualityNet
    from trackgnn.training import compare_fingerprint, load_checkpoint, load_model_state

    path = quality_path(gnn_checkpoint)
    hint = f"trackgnn train {config.config_path or '<config>'}"
    state = load_checkpoint(path, command_hint=hint)
    try:
        compare_fingerprint(path, state.get("fingerprint", {}), _fingerprint(config, gnn_state))
    except CheckpointError as exc:
        raise CheckpointError(f"{exc}; `{hint}` fits it again for the current GNN checkpoint") from None
    quality = config.tracking.quality
    net = TrackQualityNet(quality.hidden_channels, quality.num_layers)
    load_model_state(path, net, state["model"])
    return TrackSelection.from_config(net.eval(), config)


def _chain_tracks(steps, event) -> Any:
    for _, run in steps:
        event = run(event)
    return event


def _track_samples(config: GNNStageConfig, steps, events: Iterable) -> tuple[list, list, list, list]:
    """Per event: tracks' features, truth, loss weights and the output event."""
    from trackgnn.geometry import hit_positions
    from trackgnn.tracking import matched_tracks, track_features

    features, matched, weights, outputs = [], [], [], []
    for event in events:
        out = _chain_tracks(steps, event)
        labels = out.track_label.numpy()
        tracks, x = track_features(labels, hit_positions(out).numpy(), out.layer.numpy(),
                                   out.edge_index.numpy(), out.edge_score.numpy())
        ok, majority = matched_tracks(labels, out.particle_id.numpy(), tracks)
        particle_pt = dict(zip(out.particle_id.numpy().tolist(), out.pt.numpy().tolist()))
        high_pt = np.array([particle_pt.get(p, 0.0) > 1.0 for p in majority.tolist()], bool)
        features.append(x)
        matched.append(ok)
        weights.append(np.where(ok & high_pt, config.tracking.quality.high_pt_weight, 1.0))
        outputs.append((labels, tracks, x, ok))
    return features, matched, weights, outputs


def fit_selection(config: GNNStageConfig, model, train_events: list, val_events: list, gnn_checkpoint: Path,
                  gnn_state: dict, log: Callable[[str], None] = print) -> dict:
    """Fit the track-quality classifier on the tracks the chain builds on ``train_events`` and save
    it beside ``gnn_checkpoint``; returns a summary (its effect on ``val_events``).  An up-to-date
    classifier (same GNN checkpoint and settings) is kept as it is."""
    from trackgnn.errors import CheckpointError
    from trackgnn.gnn._infer import gnn_steps
    from trackgnn.tracking import fit_track_quality
    from trackgnn.training import save_checkpoint

    path = quality_path(gnn_checkpoint)
    fingerprint = _fingerprint(config, gnn_state)
    quality = config.tracking.quality
    steps = gnn_steps(config, model, "cpu")  # the builder without a selection
    try:
        selection = load_selection(config, gnn_checkpoint, gnn_state)
        log(f"track quality: {path} is up to date")
    except CheckpointError:
        log(f"track quality: building tracks on {len(train_events)} training events")
        features, matched, weights, _ = _track_samples(config, steps, train_events)
        net = fit_track_quality(features, matched, weights, hidden_channels=quality.hidden_channels,
                                num_layers=quality.num_layers, epochs=quality.epochs, lr=quality.lr,
                                batch_size=quality.batch_size, seed=config.seed, log=log)
        save_checkpoint({"epoch": quality.epochs, "model": net.state_dict(), "config": asdict(quality),
                         "fingerprint": fingerprint}, path)
        selection = TrackSelection.from_config(net, config)
    summary: dict[str, Any] = {"path": str(path), "cut": quality.cut}
    if val_events:
        _, _, _, outputs = _track_samples(config, steps, val_events)
        keep = np.concatenate([selection.net.probabilities(x) >= quality.cut for _, _, x, _ in outputs])
        ok = np.concatenate([m for _, _, _, m in outputs])
        summary["validation"] = {"tracks": int(keep.size), "dropped": int((~keep).sum()),
                                 "unmatched_dropped": int((~keep & ~ok).sum()), "unmatched": int((~ok).sum()),
                                 "matched_dropped": int((~keep & ok).sum()), "matched": int(ok.sum())}
        v = summary["validation"]
        log(f"track quality: validation events: drops {v['unmatched_dropped']} of {v['unmatched']} unmatched "
            f"tracks and {v['matched_dropped']} of {v['matched']} matched ones (cut {quality.cut})")
    return summary
