"""The numba row kernels of the MLP inference path equal ATen's modules, and the path uses them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trackgnn.models import MLP, GatheredInput, gathered_mlp, row_kernels
from trackgnn.models._row_kernels import add_gathered_rows, layer_norm_silu, layer_norm_tanh

KERNELS = {"silu": (layer_norm_silu, torch.nn.functional.silu), "tanh": (layer_norm_tanh, torch.tanh)}


@pytest.mark.parametrize("activation", sorted(KERNELS))
@pytest.mark.parametrize("width", [1, 7, 32, 64, 128])
@pytest.mark.parametrize("scale", [0.01, 1.0, 300.0])
def test_layer_norm_kernels_are_as_accurate_as_aten(activation, width, scale):
    kernel, function = KERNELS[activation]
    generator = torch.Generator().manual_seed(width)
    z = torch.randn(257, width, generator=generator) * scale + 5.0
    norm = torch.nn.LayerNorm(width)
    with torch.no_grad():
        norm.weight.uniform_(-40.0, 40.0, generator=generator)  # normalised values up to ~+-200: exp's clamped range
        norm.bias.uniform_(-3.0, 3.0, generator=generator)
        aten = function(norm(z))
        exact = function(norm.double()(z.double()))
    out = z.clone()
    kernel(out.numpy(), norm.weight.float().detach().numpy(), norm.bias.float().detach().numpy(), norm.eps)
    # float32 rounding of the row mean dominates for rows of nearly equal values: compare with ATen's error
    aten_error = (aten.double() - exact).abs().max().item()
    assert (out.double() - exact).abs().max().item() <= 2.0 * aten_error + 1e-5 * exact.abs().max().item()


def test_tanh_kernel_is_accurate_near_zero_and_odd():
    """Small values take the polynomial (no cancellation in 1 - 2 / (e + 1)); the sign is kept."""
    y = np.concatenate([np.logspace(-8, 1.7, 500), -np.logspace(-8, 1.7, 500), [0.0, 0.6249, 0.6251, 44.0, 90.0]])
    z = np.ascontiguousarray(y.astype(np.float32)[:, None])
    layer_norm_tanh(z, np.ones(1, np.float32), np.zeros(1, np.float32), 1e-5)  # width 1: the norm gives 0 ...
    assert np.all(z == 0.0)
    beta = y.astype(np.float32)  # ... so the bias is the activation's input, one value per column
    z = np.ones((2, beta.size), np.float32)
    layer_norm_tanh(z, np.ones_like(beta), beta, 1e-5)
    exact = np.tanh(beta.astype(np.float64))
    relative = np.abs(z[0] - exact) / np.maximum(np.abs(exact), 1e-30)
    assert relative.max() < 4e-7 and np.array_equal(np.sign(z[0]), np.sign(exact))


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


def test_gathered_mlp_runs_layer_norm_tanh_in_the_kernel(monkeypatch):
    import trackgnn.models._row_kernels as kernels

    calls: list = []
    original = kernels.layer_norm_tanh
    monkeypatch.setattr(kernels, "layer_norm_tanh", lambda *args: calls.append(args[0].shape) or original(*args))
    torch.manual_seed(0)
    mlp = MLP([5, 128, 128, 8], activation="tanh").eval()  # the embedding network's layout
    x = torch.randn(1000, 5) * 3.0
    with torch.no_grad():
        out = gathered_mlp(mlp, [GatheredInput(x)], 1000, chunk_rows=256)
        reference = mlp(x)
    torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)
    assert len(calls) == 2 * 4 and all(shape[1] == 128 for shape in calls)


@pytest.mark.parametrize("options", [dict(activation="relu"), dict(norm="batch"), dict(norm=None)])
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
