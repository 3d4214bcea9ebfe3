"""Detector geometry shared by the stages: azimuth differences, radial steps, x and y from r and phi.

Units: mm and rad (TrackML's).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["MIN_RADIAL_STEP", "hit_positions", "polar_to_xy", "safe_radial_step", "wrap_angle"]

#: Radial steps shorter than this (mm) are replaced by it, keeping their sign, wherever a slope
#: in r is taken (``dz/dr`` for the z0 intercept, ``dphi/dr``).  Consecutive barrel layers are
#: tens of mm apart; steps under 1 mm only join hits on one endcap disk (or overlapping modules
#: of one layer), where a slope in r is meaningless.  1 mm keeps those features finite and of
#: the size of real neighbours' (a 1e-3 mm guard let them reach 1000 times that), and leaves
#: every step between layers as it is.
MIN_RADIAL_STEP: float = 1.0


def wrap_angle(angle: Tensor) -> Tensor:
    """``angle`` (rad) wrapped into [-pi, pi)."""
    return torch.remainder(angle + math.pi, 2 * math.pi) - math.pi


def safe_radial_step(dr: Tensor) -> Tensor:
    """``dr`` (mm) with steps shorter than :data:`MIN_RADIAL_STEP` set to it, keeping their sign
    (0 counts as positive)."""
    floor = torch.where(dr < 0, -MIN_RADIAL_STEP, MIN_RADIAL_STEP).to(dr.dtype)
    return torch.where(dr.abs() < MIN_RADIAL_STEP, floor, dr)


def polar_to_xy(r: Tensor, phi: Tensor) -> tuple[Tensor, Tensor]:
    """Transverse coordinates ``(x, y)`` (mm) of points at radius ``r`` (mm) and azimuth ``phi`` (rad)."""
    return r * torch.cos(phi), r * torch.sin(phi)


def hit_positions(data) -> Tensor:
    """(N, 3) float32 hit positions x, y, z in mm from the event's ``r``, ``phi``, ``z``."""
    x, y = polar_to_xy(data.r, data.phi)
    return torch.stack([x, y, data.z], dim=1).float()
