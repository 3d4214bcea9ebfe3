"""The numba row kernels of the MLP inference path equal ATen's modules, and the path uses them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trackgnn.models import MLP, GatheredInput, gathered_mlp, row_kernels
from trackgnn.models._row_kernels import add_gathered_rows, layer_norm_silu


@pytest.mark.parametrize("width", [1, 7, 32, 64])
@pytest.mark.parametrize("scale", [0.01, 1.0, 300.0])
def test_layer_norm_silu_is_as_accurate_as_aten(width, scale):
    generator = torch.Generator().manual_seed(width)
    z = torch.randn(257, width, generator=generator) * scale + 5.0
    norm = torch.nn.LayerNorm(width)
    with torch.no_grad():
        norm.weight.uniform_(-40.0, 40.0, generator=generator)  # normalised values up to ~+-200: exp's clamped range
        norm.bias.uniform_(-3.0, 3.0, generator=generator)
        aten = torch.nn.functional.silu(norm(z))
        exact = torch.nn.functional.silu(norm.double()(z.double()))
    out = z.clone()
    layer_norm_silu(out.numpy(), norm.weight.float().detach().numpy(), norm.bias.float().detach().numpy(), norm.eps)
    # float32 rounding of the row mean dominates for rows of nearly equal values: compare with ATen's error
    aten_error = (aten.double() - exact).abs().max().item()
    assert (out.double() - exact).abs().max().item() <= 2.0 * aten_error + 1e-5 * exact.abs().max().item()


def test_layer_norm_silu_of_a_constant_row_is_silu_of_the_bias():
    z = np.full((3, 16), 7.5, np.float32)
    beta = np.linspace(-90.0, 90.0, 16).astype(np.float32)
    layer_norm_silu(z, np.ones(16, np.float32), beta, 1e-5)
    np.testing.assert_allclose(z, torch.nn.functional.silu(torch.from_numpy(beta)).expand(3, 16).numpy(),
                               rtol=1e-6, atol=1e-30)
    assert np.isfinite(z).all()


def test_add_gathered_rows_adds_the_indexed_rows_from_an_offset():
    table = np.arange(40, dtype=np.float32).reshape(10, 4)
    index = np.array([9, 0, 3, 3, 7], dtype=np.int64)
    z = np.ones((3, 4), np.float32)
    add_gathered_rows(z, table, index, first=2)
    np.testing.assert_array_equal(z, 1.0 + table[[3, 3, 7]])


def _calls(monkeypatch) -> list:
    import trackgnn.models._row_kernels as kernels

    calls: list = []
    original = kernels.layer_norm_silu
    monkeypatch.setattr(kernels, "layer_norm_silu", lambda *args: calls.append(args[0].shape) or original(*args))
    return calls


def test_gathered_mlp_runs_layer_norm_silu_in_the_kernel(monkeypatch):
    calls = _calls(monkeypatch)
    torch.manual_seed(0)
    mlp = MLP([6 + 2, 32, 32, 1]).eval()  # two hidden LayerNorm -> SiLU pairs
    x, attr = torch.randn(50, 3), torch.randn(900, 2)
    edges = torch.randint(0, 50, (2, 900))
    with torch.no_grad():
        out = gathered_mlp(mlp, [GatheredInput(x, edges[0]), GatheredInput(x, edges[1]), GatheredInput(attr)], 900,
                           chunk_rows=128)
        reference = mlp(torch.cat([x[edges[0]], x[edges[1]], attr], dim=1))
    torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)
    assert len(calls) == 2 * 8 and all(shape[1] == 32 for shape in calls)  # 8 chunks of 128 rows (the last 4)


@pytest.mark.parametrize("options", [dict(activation="tanh"), dict(norm="batch"), dict(norm=None)])
def test_gathered_mlp_without_layer_norm_silu_pairs_keeps_atens_modules(options, monkeypatch):
    calls = _calls(monkeypatch)
    torch.manual_seed(0)
    mlp = MLP([4, 16, 16, 3], output_activation=True, **options).eval()
    x = torch.randn(300, 4)
    residual = torch.randn(300, 3)
    with torch.no_grad():
        out = gathered_mlp(mlp, [GatheredInput(x)], 300, residual=residual, chunk_rows=64)
        reference = residual + mlp(x)
    torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)
    assert not calls


def test_gathered_mlp_under_bf16_autocast_keeps_atens_modules(monkeypatch):
    calls = _calls(monkeypatch)
    torch.manual_seed(0)
    mlp = MLP([4, 16, 1]).eval()
    x = torch.randn(200, 4)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = gathered_mlp(mlp, [GatheredInput(x)], 200)
        reference = mlp(x)
    assert out.dtype == torch.bfloat16 and not calls
    torch.testing.assert_close(out.float(), reference.float(), atol=0.05, rtol=0.05)


def test_row_kernels_false_keeps_atens_modules(monkeypatch):
    calls = _calls(monkeypatch)
    torch.manual_seed(0)
    mlp = MLP([4, 16, 1]).eval()
    x = torch.randn(200, 4)
    with torch.no_grad(), row_kernels(False):
        out = gathered_mlp(mlp, [GatheredInput(x)], 200)
    assert not calls
    torch.testing.assert_close(out, mlp(x).detach(), atol=1e-5, rtol=1e-5)
