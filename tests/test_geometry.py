"""Shared geometry: angle wrapping, the radial-step guard, x and y from r and phi."""

from __future__ import annotations

import math

import pytest
import torch
from torch_geometric.data import Data

from trackgnn.geometry import MIN_RADIAL_STEP, hit_positions, polar_to_xy, safe_radial_step, wrap_angle


def test_wrap_angle_maps_into_minus_pi_pi():
    angles = torch.tensor([0.0, 3.0, -3.0, 3.5, -3.5, 2 * math.pi + 0.25, -4 * math.pi - 0.25, math.pi])
    wrapped = wrap_angle(angles)
    assert ((wrapped >= -math.pi) & (wrapped < math.pi)).all()
    assert torch.allclose(torch.cos(wrapped), torch.cos(angles), atol=1e-6)
    assert torch.allclose(wrapped[:3], angles[:3])
    assert wrapped[3] == pytest.approx(3.5 - 2 * math.pi) and wrapped[5] == pytest.approx(0.25, abs=1e-6)


def test_short_radial_steps_become_the_minimum_with_their_sign():
    dr = torch.tensor([0.0, 0.3, -0.3, -0.0, 1.0, -2.5, 40.0])
    assert safe_radial_step(dr).tolist() == [MIN_RADIAL_STEP, MIN_RADIAL_STEP, -MIN_RADIAL_STEP,
                                             MIN_RADIAL_STEP, 1.0, -2.5, 40.0]
    assert safe_radial_step(dr.double()).dtype == torch.float64


def test_positions_from_r_and_phi():
    r, phi = torch.tensor([100.0, 250.0]), torch.tensor([0.0, math.pi / 2])
    x, y = polar_to_xy(r, phi)
    assert torch.allclose(x, torch.tensor([100.0, 0.0]), atol=1e-4) and torch.allclose(y, torch.tensor([0.0, 250.0]))
    pos = hit_positions(Data(r=r.double(), phi=phi.double(), z=torch.tensor([-5.0, 7.0], dtype=torch.float64)))
    assert pos.dtype == torch.float32 and pos.shape == (2, 3)
    assert torch.allclose(pos, torch.tensor([[100.0, 0.0, -5.0], [0.0, 250.0, 7.0]]), atol=1e-4)
