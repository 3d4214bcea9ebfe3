"""ERT micro-kernel for NVIDIA GPUs, built at run time with Triton or CuPy.

Same kernel as the CPU one (:mod:`trackgnn.profiling._cpu_kernels`): per
element per trial, load, K dependent FMAs ``b = b * c + alpha``, store.  A
fixed grid of programs (4, 8 or 16 per SM of 4 or 8 warps, whichever is fastest, as
ERT's GPU driver sweeps blocks and threads) each owns a contiguous chunk of the working
set and sweeps it ``ntrials`` times, so small working sets stay in L1/L2 across
trials and large ones stream from HBM, as in ERT's GPU driver.

Backends, tried in order: Triton (ships with PyTorch's CUDA wheels), then a
CuPy ``RawModule`` (FP16 runs as ``__half2``, as ERT does).  Neither is needed
on CPU-only machines; imports happen inside the functions.
"""

from __future__ import annotations

from typing import Callable

__all__ = ["gpu_backend", "make_gpu_ert", "BLOCK"]

BLOCK = 1024  # elements per program step (Triton) / threads x 4 (CuPy)
_TRITON_KERNEL = None


def gpu_backend() -> str:
    """Name of the first usable backend ("triton" or "cupy"); ImportError says what to install."""
    try:
        import triton  # noqa: F401

        return "triton"
    except ImportError:
        pass
    try:
        import cupy  # noqa: F401

        return "cupy"
    except ImportError:
        raise ImportError(
            "the GPU roofline kernel needs Triton (bundled with PyTorch's CUDA wheels) "
            "or CuPy: pip install triton  (or pip install cupy-cuda12x)"
        ) from None


def _triton_kernel():
    global _TRITON_KERNEL
    if _TRITON_KERNEL is None:
        import triton
        import triton.language as tl

        @triton.jit
        def ert_kernel(ptr, consts, n_per_prog, ntrials, K: tl.constexpr, BLOCK: tl.constexpr):
            base = ptr + tl.program_id(0).to(tl.int64) * n_per_prog
            cc = tl.load(consts)  # c and alpha in the array's own precision
            aa = tl.load(consts + 1)
            for _t in range(ntrials):
                for start in range(0, n_per_prog, BLOCK):
                    offs = start + tl.arange(0, BLOCK)
                    b = tl.load(base + offs)
                    for _k in tl.static_range(K):
                        b = b * cc + aa
                    tl.store(base + offs, b)

        _TRITON_KERNEL = ert_kernel
    return _TRITON_KERNEL


_CUDA_SOURCE = r"""
#include <cuda_fp16.h>
template <typename T, int K>
__global__ void ert(T* a, long long n_per_block, int ntrials, T c, T alpha) {
    T* base = a + (long long)blockIdx.x * n_per_block;
    for (int t = 0; t < ntrials; ++t) {
        for (long long i = threadIdx.x; i < n_per_block; i += blockDim.x) {
            T b = base[i];
#pragma unroll
            for (int k = 0; k < K; ++k) b = b * c + alpha;
            base[i] = b;
        }
    }
}
"""


def make_gpu_ert(tensor, k: int, programs: int, num_warps: int = 4) -> Callable[[int], None]:
    """Return ``run(ntrials)`` launching the K-FMA kernel over CUDA ``tensor`` (1-D, contiguous).

    ``tensor.numel()`` must be a multiple of ``programs * BLOCK``; each program runs
    ``num_warps`` warps (Triton; CuPy blocks have ``BLOCK // 4`` threads).
    """
    import torch

    n = tensor.numel()
    if n % (programs * BLOCK):
        raise ValueError(f"{n} elements is not a multiple of {programs} programs x {BLOCK}")
    n_per_prog = n // programs
    if gpu_backend() == "triton":
        kernel = _triton_kernel()
        consts = torch.full((2,), 0.5, dtype=tensor.dtype, device=tensor.device)

        def run(ntrials: int) -> None:
            kernel[(programs,)](tensor, consts, n_per_prog, ntrials, K=k, BLOCK=BLOCK, num_warps=num_warps)

        return run

    import cupy
    import numpy as np

    ctype = {torch.float64: "double", torch.float32: "float", torch.float16: "__half2"}[tensor.dtype]
    module = cupy.RawModule(code=_CUDA_SOURCE, options=("-std=c++14",), name_expressions=[f"ert<{ctype},{k}>"])
    fn = module.get_function(f"ert<{ctype},{k}>")
    array = cupy.asarray(tensor)
    if tensor.dtype == torch.float16:  # two halves per __half2 element
        array = array.view(cupy.float32)
        n_per_prog //= 2
        c = alpha = np.array([0.5, 0.5], dtype=np.float16).view(np.float32)[0]  # half2 bits, by value
    else:
        c = alpha = np.dtype(array.dtype).type(0.5)

    def run(ntrials: int) -> None:
        fn((programs,), (BLOCK // 4,), (array, cupy.int64(n_per_prog), cupy.int32(ntrials), c, alpha))

    return run
