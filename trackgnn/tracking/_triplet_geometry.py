"""Geometric features of triplets: curvature, z0 compatibility, bending and polar-angle changes."""

from __future__ import annotations

import torch
from torch import Tensor

from trackgnn.geometry import safe_radial_step, wrap_angle
from trackgnn.tracking._triplets import triplet_hits

__all__ = ["TRIPLET_FEATURES", "triplet_features"]

#: Column names of :func:`triplet_features` (without scores; with scores two more follow).
TRIPLET_FEATURES: tuple[str, ...] = ("curvature", "dz0", "dphi", "dtheta")


def _z0(r0: Tensor, z0: Tensor, r1: Tensor, z1: Tensor) -> Tensor:
    """z (mm) where the straight line through two (r, z) points meets r = 0."""
    return z0 - r0 * (z1 - z0) / safe_radial_step(r1 - r0)


def triplet_features(
    pos: Tensor, edge_index: Tensor, triplets: Tensor, scores: Tensor | None = None
) -> Tensor:
    """Scale-free geometric features of each triplet, for the triplet classifier.

    Parameters
    ----------
    pos : Tensor
        (N, 3) hit positions x, y, z in mm.
    edge_index : Tensor
        (2, E) edges (inner, outer).
    triplets : Tensor
        (2, T) incoming / outgoing edge indices (:func:`build_triplets`).
    scores : Tensor, optional
        (E,) doublet scores; appended as two more features (incoming, outgoing).

    Returns
    -------
    Tensor
        (T, 4) or (T, 6) float:

        * ``curvature``: signed curvature of the circle through the three hits in x-y,
          in 1/m (a 1 GeV track in 2 T has |κ| ≈ 0.6 /m);
        * ``dz0``: ``tanh((z0_out − z0_in) / 100 mm)``, the mismatch of the two segments'
          straight-line intercepts with the beam line in r-z;
        * ``dphi``: change of the segments' azimuthal direction in x-y (rad);
        * ``dtheta``: change of their polar angle in r-z (rad).
    """
    a, m, b = triplet_hits(edge_index, triplets)
    pa, pm, pb = pos[a].double(), pos[m].double(), pos[b].double()
    d1, d2, d3 = pm - pa, pb - pm, pb - pa
    cross = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    lengths = d1[:, :2].norm(dim=1) * d2[:, :2].norm(dim=1) * d3[:, :2].norm(dim=1)
    curvature = 2.0 * cross / lengths.clamp_min(1e-9) * 1000.0

    r = lambda p: p[:, :2].norm(dim=1)  # noqa: E731
    ra, rm, rb = r(pa), r(pm), r(pb)
    dz0 = torch.tanh((_z0(rm, pm[:, 2], rb, pb[:, 2]) - _z0(ra, pa[:, 2], rm, pm[:, 2])) / 100.0)
    dphi = wrap_angle(torch.atan2(d2[:, 1], d2[:, 0]) - torch.atan2(d1[:, 1], d1[:, 0]))
    dtheta = torch.atan2(rb - rm, d2[:, 2]) - torch.atan2(rm - ra, d1[:, 2])
    columns = [curvature, dz0, dphi, dtheta]
    if scores is not None:
        columns += [scores[triplets[0]].double(), scores[triplets[1]].double()]
    return torch.stack(columns, dim=1).to(pos.dtype if pos.is_floating_point() else torch.float32)
