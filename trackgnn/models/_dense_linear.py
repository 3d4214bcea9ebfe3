"""``nn.functional.linear`` for float32 inference on the CPU, through oneDNN where torch has it.

ATen computes a float32 ``linear`` with MKL's SGEMM, which on AMD CPUs runs its AVX2 code even
where the core has AVX-512; oneDNN (bundled with torch's CPU builds) picks its kernels by the
instructions the CPU reports.  On the narrow, cache-sized chunks of the inference paths (8192 rows,
32-160 inputs, 32 outputs; one thread) oneDNN took 1.65x (32 inputs) to 2.6x (160 inputs) less
time on an AMD EPYC (Zen 5), bit-identical there.  Its products are IEEE float32 (no
reduced-precision math mode is set), so the outputs match ATen's up to the order of additions: over a
whole main job the stage outputs differed in the last bits, enough to send training along another path.

The oneDNN path is used when torch has it and a first small product agrees with ATen's;
:func:`onednn_linear` turns it off within a context (``bench/reconstruct.py --compare gemm``
measures one against the other).  Inference only: it records no gradient.
"""

from __future__ import annotations

from typing import ContextManager

import torch
from torch import Tensor, nn

from trackgnn.models._switch import Switch

__all__ = ["dense_linear", "onednn_linear", "onednn_linear_available"]

_ONEDNN = Switch()
_available: bool | None = None


def onednn_linear(enabled: bool = True) -> ContextManager[None]:
    """Within this context :func:`dense_linear` uses oneDNN (default, where available) or ATen's
    ``linear`` only."""
    return _ONEDNN.turned(enabled)


def _onednn(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    # contiguous operands: a strided weight (a block of a split first layer) took 1000x longer, and its
    # products differed from the contiguous weight's
    return torch.ops.mkldnn._linear_pointwise(x.contiguous(), weight.contiguous(),
                                              None if bias is None else bias.contiguous(), "none", [], "")


def onednn_linear_available() -> bool:
    """Whether this torch computes a float32 ``linear`` with oneDNN here and agrees with ATen on a
    small product (checked once per process)."""
    global _available
    if _available is None:
        try:
            generator = torch.Generator().manual_seed(0)
            x = torch.randn(64, 40, generator=generator)
            weight = torch.randn(24, 40, generator=generator)
            bias = torch.randn(24, generator=generator)
            with torch.no_grad():
                _available = bool(torch.backends.mkldnn.is_available()
                                  and torch.allclose(_onednn(x, weight, bias), nn.functional.linear(x, weight, bias),
                                                     rtol=1e-5, atol=1e-5))
        except (AttributeError, RuntimeError, NotImplementedError):
            _available = False
    return _available


def dense_linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``nn.functional.linear(x, weight, bias)``; with oneDNN when ``x`` is a float32 CPU matrix,
    no gradient is recorded, CPU autocast is off and :func:`onednn_linear_available`."""
    if (_ONEDNN and x.dim() == 2 and x.dtype == torch.float32 and weight.dtype == torch.float32
            and x.device.type == "cpu" and not torch.is_grad_enabled() and not torch.is_autocast_enabled("cpu")
            and x.shape[0] > 0 and onednn_linear_available()):
        return _onednn(x, weight, bias)
    return nn.functional.linear(x, weight, bias)
