"""Geometric features of candidate edges (inputs of the filter next to both hits' features)."""

from __future__ import annotations

import torch
from torch import Tensor

from trackgnn.geometry import safe_radial_step, wrap_angle

__all__ = ["EDGE_FEATURES", "edge_geometry"]

#: Columns of :func:`edge_geometry`.
EDGE_FEATURES: tuple[str, ...] = ("dr", "dphi", "dz", "deta", "z0", "embedding_distance")


def edge_geometry(data, edge_index: Tensor, edge_dist: Tensor, dist_scale: float = 0.1) -> Tensor:
    """Per-edge features of order one, shape ``(n_edges, 6)`` (see :data:`EDGE_FEATURES`).

    ``dr, dz`` target minus source in units of 100 mm; ``dphi`` wrapped to [-pi, pi] in
    units of 0.1 rad; ``deta`` in units of 0.1; ``z0`` the line's intercept with the beam
    axis (``z_src - r_src dz/dr``, radial steps under
    :data:`trackgnn.geometry.MIN_RADIAL_STEP` counted as that) in units of 200 mm, clipped to [-5, 5]; the embedding
    distance in units of ``dist_scale``.

    Parameters
    ----------
    data : Data
        With per-hit ``r, phi, z, eta`` (mm, rad).
    edge_index : Tensor of shape (2, n_edges)
    edge_dist : Tensor of shape (n_edges,)
    """
    src, dst = edge_index
    r0, r1 = data.r[src].float(), data.r[dst].float()
    z0, z1 = data.z[src].float(), data.z[dst].float()
    dr, dz = r1 - r0, z1 - z0
    dphi = wrap_angle(data.phi[dst].float() - data.phi[src].float())
    deta = data.eta[dst].float() - data.eta[src].float()
    intercept = (z0 - r0 * dz / safe_radial_step(dr)) / 200.0
    return torch.stack([dr / 100.0, dphi / 0.1, dz / 100.0, deta / 0.1, intercept.clamp(-5, 5),
                        edge_dist.float() / dist_scale], dim=1)
