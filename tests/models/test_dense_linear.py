"""The float32 inference products through oneDNN give ATen's ``linear``."""

from __future__ import annotations

import pytest
import torch

from trackgnn.models import dense_linear, onednn_linear
from trackgnn.models._dense_linear import onednn_linear_available


@pytest.mark.parametrize("rows", [1, 333, 9000])
@pytest.mark.parametrize("bias", [False, True])
def test_dense_linear_equals_linear(rows, bias):
    generator = torch.Generator().manual_seed(rows)
    x = torch.randn(rows, 40, generator=generator)
    # a block of a split first layer: a strided view, as the inference paths pass it
    weight = torch.split(torch.randn(24, 100, generator=generator), [40, 60], dim=1)[0]
    b = torch.randn(24, generator=generator) if bias else None
    with torch.no_grad():
        out = dense_linear(x, weight, b)
    torch.testing.assert_close(out, torch.nn.functional.linear(x, weight, b), rtol=1e-5, atol=1e-5)
    assert out.shape == (rows, 24) and out.dtype == torch.float32


def test_dense_linear_takes_aten_with_gradient_or_when_turned_off(monkeypatch):
    calls = []
    import trackgnn.models._dense_linear as module

    monkeypatch.setattr(module, "_onednn", lambda *args: calls.append(args) or torch.zeros(2, 3))
    monkeypatch.setattr(module, "_available", True)
    x, weight = torch.randn(2, 4), torch.randn(3, 4, requires_grad=True)
    out = dense_linear(x, weight)  # gradient recorded: ATen, differentiable
    assert out.requires_grad and not calls
    with torch.no_grad(), onednn_linear(False):
        torch.testing.assert_close(dense_linear(x, weight), x @ weight.T)
    assert not calls
    with torch.no_grad():
        dense_linear(x, weight)
        dense_linear(x.double(), weight.double())  # float32 only
    assert len(calls) == 1


def test_onednn_is_available_on_torch_cpu_builds():
    assert onednn_linear_available() == torch.backends.mkldnn.is_available()
