"""The GNN's input tensors from a stage event: edge features and edge truth."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from trackgnn.geometry import safe_radial_step, wrap_angle

__all__ = ["edge_feature_matrix", "edge_targets"]


def edge_feature_matrix(data, edge_index: Tensor, names: Sequence[str]) -> Tensor | None:
    """(E, len(names)) per-edge features, or None when ``names`` is empty.

    Names of :data:`trackgnn.graph.EDGE_FEATURES` are the filter's edge geometry (order-one
    units, see :func:`trackgnn.graph.edge_geometry`; ``embedding_distance`` needs the
    embedding stage's ``edge_dist``).  Two more: ``phi_slope``, dφ/dr in rad/m (a pair of
    hits of a pT > 1 GeV particle stays below ~0.3 rad/m; radial steps under
    :data:`trackgnn.geometry.MIN_RADIAL_STEP` count as that), and ``filter_score``, the filter's score of the edge.
    """
    from trackgnn.graph import EDGE_FEATURES as GEOMETRY, edge_geometry

    if not names:
        return None
    geometry = None
    columns = []
    for name in names:
        if name in GEOMETRY:
            if geometry is None:
                dist = data.edge_dist if "edge_dist" in data else torch.zeros(edge_index.shape[1])
                geometry = edge_geometry(data, edge_index, dist)
            columns.append(geometry[:, GEOMETRY.index(name)])
        elif name == "phi_slope":
            src, dst = edge_index
            dr = safe_radial_step(data.r[dst].float() - data.r[src].float())
            dphi = wrap_angle(data.phi[dst].float() - data.phi[src].float())
            columns.append(dphi / dr * 1000.0)
        elif name == "filter_score":
            score = data.edge_filter_score if "edge_filter_score" in data else data.edge_score
            columns.append(score.float())
        else:  # GNNModelConfig checks names; this guards direct callers
            raise ValueError(f"edge feature: could not resolve {name!r} among {list(GEOMETRY) + list(_EXTRA)}")
    return torch.stack(columns, dim=1)


_EXTRA: tuple[str, ...] = ("phi_slope", "filter_score")


def edge_targets(data, edge_index: Tensor) -> tuple[Tensor, Tensor]:
    """Truth of each edge: ``(true, same_particle)``, both (E,) bool.

    ``true``: the edge is a truth edge (consecutive hits of one particle, ``track_edges``,
    either orientation); ``same_particle``: both hits belong to one non-noise particle
    (true edges and edges that skip hits of that particle).
    """
    from trackgnn.graph import edge_labels, truth_edge_mask

    _, is_truth = truth_edge_mask(edge_index, data.track_edges, int(data.num_nodes))
    return is_truth, edge_labels(edge_index, data.particle_id)
