"""In-place numba kernels for the row-wise steps of an MLP chunk at inference: gathered sums,
``LayerNorm → SiLU`` and ``LayerNorm → Tanh``.

On a cache-sized chunk of narrow rows (width 32-64), ATen's LayerNorm and SiLU cost more than the
linear layers around them: each is its own pass, writes a new tensor, and reduces rows too short
for its vector loops.  Here one pass over each row normalises it and applies the activation in
place, with an exponential vectorised by hand (Cody-Waite range reduction and the degree-6
polynomial of Cephes' ``expf``: ~2 float32 ulp) because the compiler's ``exp`` is a scalar library
call.  The gathered sum adds table rows straight into the chunk, without the (rows, width)
temporary ``index_select`` makes.  The kernels release the GIL: the row threads
(:mod:`trackgnn.models._row_threads`) run them concurrently on their own chunks.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["add_gathered_rows", "layer_norm_silu", "layer_norm_tanh"]

_ONE = np.float32(1.0)
_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693359375)  # ln 2 split in two: n * _LN2_HI is exact for the n used here
_LN2_LO = np.float32(-2.12194440e-4)
_EXP_MIN = np.float32(-87.0)  # exp stays a normal float32 on [-87, 88]
_EXP_MAX = np.float32(88.0)
_HALF = np.float32(0.5)
_P0 = np.float32(1.9875691500e-4)
_P1 = np.float32(1.3981999507e-3)
_P2 = np.float32(8.3334519073e-3)
_P3 = np.float32(4.1665795894e-2)
_P4 = np.float32(1.6666665459e-1)
_P5 = np.float32(5.0000001201e-1)
_TWO = np.float32(2.0)
_TANH_SMALL = np.float32(0.625)  # below: Cephes' odd polynomial of tanhf; above: 1 - 2 / (exp(2|y|) + 1)
_T0 = np.float32(-5.70498872745e-3)
_T1 = np.float32(2.06390887954e-2)
_T2 = np.float32(-5.37397155531e-2)
_T3 = np.float32(1.33314422036e-1)
_T4 = np.float32(-3.33332819422e-1)


@njit(nogil=True, fastmath=True, error_model="numpy", cache=True)
def _layer_norm_silu(z, gamma, beta, eps):  # pragma: no cover - compiled
    """``z[i] = silu(layer_norm(z[i]) * gamma + beta)`` for every row ``i``, in place.

    ``silu(y) = y / (1 + exp(-y))`` with ``exp(x) = 2^n * e^q``, ``n = round(x / ln 2)``,
    ``|q| <= ln 2 / 2``; ``2^n`` is built from its exponent bits (an int32 view of the scratch).
    Each row's loops run over small scratch arrays so that each is a straight vector loop.
    """
    n_rows, width = z.shape
    x = np.empty(width, np.float32)
    n = np.empty(width, np.float32)
    bits = np.empty(width, np.int32)
    scale = bits.view(np.float32)
    inv_width = _ONE / np.float32(width)
    for i in range(n_rows):
        row = z[i]
        total = np.float32(0.0)
        for j in range(width):
            total += row[j]
        mean = total * inv_width
        var = np.float32(0.0)
        for j in range(width):
            d = row[j] - mean
            var += d * d
        inv_std = _ONE / np.sqrt(var * inv_width + eps)
        for j in range(width):
            y = (row[j] - mean) * inv_std * gamma[j] + beta[j]
            row[j] = y
            t = -y
            t = t if t > _EXP_MIN else _EXP_MIN
            x[j] = t if t < _EXP_MAX else _EXP_MAX
            n[j] = np.floor(x[j] * _LOG2E + _HALF)
        for j in range(width):
            bits[j] = np.int32(n[j])
        for j in range(width):
            bits[j] = (bits[j] + 127) << 23  # the float32 2^n
        for j in range(width):
            q = x[j] - n[j] * _LN2_HI - n[j] * _LN2_LO
            p = ((((_P0 * q + _P1) * q + _P2) * q + _P3) * q + _P4) * q + _P5
            row[j] = row[j] / (_ONE + (p * q * q + q + _ONE) * scale[j])


@njit(nogil=True, fastmath=True, error_model="numpy", cache=True)
def _layer_norm_tanh(z, gamma, beta, eps):  # pragma: no cover - compiled
    """``z[i] = tanh(layer_norm(z[i]) * gamma + beta)`` for every row ``i``, in place.

    ``tanh |y| = 1 - 2 / (exp(2 |y|) + 1)`` with the exponential of :func:`_layer_norm_silu`, and
    below |y| = 0.625 (where that difference cancels) Cephes' odd polynomial; both are computed
    and one selected, so that the loop stays a vector loop.
    """
    n_rows, width = z.shape
    x = np.empty(width, np.float32)
    n = np.empty(width, np.float32)
    bits = np.empty(width, np.int32)
    scale = bits.view(np.float32)
    inv_width = _ONE / np.float32(width)
    for i in range(n_rows):
        row = z[i]
        total = np.float32(0.0)
        for j in range(width):
            total += row[j]
        mean = total * inv_width
        var = np.float32(0.0)
        for j in range(width):
            d = row[j] - mean
            var += d * d
        inv_std = _ONE / np.sqrt(var * inv_width + eps)
        for j in range(width):
            y = (row[j] - mean) * inv_std * gamma[j] + beta[j]
            row[j] = y
            t = _TWO * abs(y)
            x[j] = t if t < _EXP_MAX else _EXP_MAX
            n[j] = np.floor(x[j] * _LOG2E + _HALF)
        for j in range(width):
            bits[j] = np.int32(n[j])
        for j in range(width):
            bits[j] = (bits[j] + 127) << 23  # the float32 2^n
        for j in range(width):
            q = x[j] - n[j] * _LN2_HI - n[j] * _LN2_LO
            p = ((((_P0 * q + _P1) * q + _P2) * q + _P3) * q + _P4) * q + _P5
            large = _ONE - _TWO / ((p * q * q + q + _ONE) * scale[j] + _ONE)
            y = row[j]
            a = abs(y)
            a2 = a * a
            small = ((((_T0 * a2 + _T1) * a2 + _T2) * a2 + _T3) * a2 + _T4) * a2 * a + a
            r = small if a < _TANH_SMALL else large
            row[j] = r if y >= 0 else -r


@njit(nogil=True, fastmath=True, error_model="numpy", cache=True)
def _add_gathered_rows(z, table, index, first):  # pragma: no cover - compiled
    """``z[i] += table[index[first + i]]`` for every row ``i`` of ``z``, in place."""
    n_rows, width = z.shape
    for i in range(n_rows):
        source = table[index[first + i]]
        row = z[i]
        for j in range(width):
            row[j] += source[j]


def layer_norm_silu(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> None:
    """``SiLU(LayerNorm(z))`` in place on a C-contiguous float32 (rows, width) array, with the
    norm's ``gamma``/``beta`` (width,) float32 arrays; matches ATen to a few float32 ulp."""
    _layer_norm_silu(z, gamma, beta, np.float32(eps))


def layer_norm_tanh(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> None:
    """``Tanh(LayerNorm(z))`` in place, as :func:`layer_norm_silu`; matches ATen to a few float32 ulp."""
    _layer_norm_tanh(z, gamma, beta, np.float32(eps))


def add_gathered_rows(z: np.ndarray, table: np.ndarray, index: np.ndarray, first: int = 0) -> None:
    """``z += table[index[first:first + len(z)]]`` in place, without the gathered temporary
    (C-contiguous float32 ``z`` and ``table`` of one width, int64 ``index``)."""
    _add_gathered_rows(z, table, index, first)
