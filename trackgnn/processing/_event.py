"""One TrackML event (DataFrames) → one graph-ready torch-geometric ``Data``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trackgnn.processing._features import hit_features
from trackgnn.processing._truth import hit_truth, truth_edges

__all__ = ["process_event", "layer_key"]


def layer_key(volume_id: np.ndarray, layer_id: np.ndarray) -> np.ndarray:
    """One integer per detector layer: ``100 * volume_id + layer_id``."""
    return 100 * np.asarray(volume_id, np.int64) + np.asarray(layer_id, np.int64)


def process_event(
    event_id: int,
    hits: pd.DataFrame,
    cells: pd.DataFrame | None = None,
    particles: pd.DataFrame | None = None,
    truth: pd.DataFrame | None = None,
):
    """Build the graph-ready tensors of one event; every hit is kept.

    Returns
    -------
    torch_geometric.data.Data
        Node attributes of shape ``(n_hits,)``: ``hit_id``, ``layer``
        (see :func:`layer_key`), the features of :func:`hit_features`
        (``r, phi, z, eta, cell_count, cell_val, lx, ly``) and the truth of
        :func:`hit_truth` (``particle_id, pt, particle_eta, particle_nhits``);
        ``track_edges`` of shape ``(2, n_truth_edges)`` from :func:`truth_edges`;
        ``event_id`` (int) and ``has_cells`` (bool).
    """
    import torch
    from torch_geometric.data import Data

    features = hit_features(hits, cells)
    info = hit_truth(hits, particles, truth)
    layer = layer_key(hits["volume_id"].to_numpy(), hits["layer_id"].to_numpy())
    edges = truth_edges(info["particle_id"], info["vertex_distance"], layer)
    tensors = {
        "hit_id": torch.from_numpy(np.array(hits["hit_id"], dtype=np.int64)),
        "layer": torch.from_numpy(layer),
        **{name: torch.from_numpy(value) for name, value in features.items()},
        **{name: torch.from_numpy(np.array(info[name]))
           for name in ("particle_id", "pt", "particle_eta", "particle_nhits")},
        "track_edges": torch.from_numpy(edges),
    }
    return Data(
        **tensors,
        num_nodes=len(hits),
        event_id=int(event_id),
        has_cells=bool(cells is not None and len(cells) > 0),
    )
