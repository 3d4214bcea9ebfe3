"""GPU paths: the Triton ERT kernel (interpreted on any machine with Triton) and, on an NVIDIA GPU,
the machine targets of the issue (HBM >= 90 % of the datasheet, FP32/FP64 FMA >= 90 %)."""

from __future__ import annotations

import importlib.util

import pytest
import torch

HAS_TRITON = importlib.util.find_spec("triton") is not None
HAS_CUDA = torch.cuda.is_available()


@pytest.mark.skipif(not HAS_TRITON, reason="Triton is not installed")
def test_triton_ert_kernel_in_interpreter(monkeypatch):
    import trackgnn.profiling._gpu_kernels as kernels

    monkeypatch.setenv("TRITON_INTERPRET", "1")
    monkeypatch.setattr(kernels, "_TRITON_KERNEL", None)
    for dtype in (torch.float32, torch.float64, torch.float16):
        a = torch.full((3 * kernels.BLOCK * 2,), 0.5, dtype=dtype)
        kernels.make_gpu_ert(a, 4, programs=3)(2)  # 2 trials x 4 FMAs: b <- 0.5 b + 0.5, 8 times
        assert torch.allclose(a.double(), torch.full_like(a.double(), 1 - 0.5**9), atol=1e-3)
    with pytest.raises(ValueError, match="not a multiple"):
        kernels.make_gpu_ert(torch.zeros(100), 1, programs=3)


@pytest.mark.skipif(not HAS_CUDA, reason="needs an NVIDIA GPU")
def test_gpu_machine_targets(roofline_cache):
    from trackgnn.profiling import characterise_machine

    machine = characterise_machine("cuda", quick=True, progress=False)
    levels = machine["ceilings"]["memory"]["all_core"]["levels"]
    assert "HBM" in levels and "L2" in levels
    assert levels["L2"]["gbs"] > levels["HBM"]["gbs"]
    if levels["HBM"].get("theoretical_gbs"):
        assert levels["HBM"]["ratio"] >= 0.9, levels["HBM"]
    for precision in ("fp32", "fp64"):
        compute = machine["ceilings"]["compute"][precision]["all_core"]
        if compute["theoretical_gflops"]:
            assert compute["ratio"] >= 0.9, (precision, compute)
    assert machine["ceilings"]["gemm"]["bf16"]["gflops"] > machine["ceilings"]["compute"]["fp32"]["all_core"]["gflops"]


def test_cuda_paths_fail_clearly_without_gpu():
    if HAS_CUDA:
        pytest.skip("a GPU is present")
    from trackgnn.errors import TrackGNNError
    from trackgnn.profiling import current_machine_key

    with pytest.raises(TrackGNNError, match="no CUDA device is visible to PyTorch"):
        current_machine_key("cuda")
