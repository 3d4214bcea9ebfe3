"""Out-of-memory becomes a ResourceError naming the step and the settings to lower."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trackgnn.errors import ResourceError
from trackgnn.training import is_out_of_memory, out_of_memory_guard


def test_cpu_allocator_failure_names_step_size_and_settings():
    with pytest.raises(ResourceError) as info:
        with out_of_memory_guard("gnn.yaml", "building the gnn model",
                                 ["model.hidden_channels (now 10000000)", "model.num_iterations (now 8)"]):
            torch.empty(2**60)  # 4 EiB, beyond any address space: refused at once, overcommit or not
    assert str(info.value) == ("gnn.yaml: out of memory while building the gnn model (tried to allocate "
                               "4294967296.00 GiB); lower model.hidden_channels (now 10000000) or "
                               "model.num_iterations (now 8), or run on a machine with more memory")


def test_cuda_and_numpy_out_of_memory_are_recognised():
    cuda = torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total "
                                       "capacity of 79.11 GiB of which 1.50 GiB is free.")
    with pytest.raises(ResourceError, match=r"^cfg\.yaml: out of memory while training the filter stage "
                                            r"\(tried to allocate 20\.00 GiB\); lower edges_per_batch \(now 5\), "):
        with out_of_memory_guard("cfg.yaml", "training the filter stage", ["edges_per_batch (now 5)"]):
            raise cuda
    with pytest.raises(MemoryError) as info:
        np.empty(10**14)
    assert is_out_of_memory(info.value)


def test_other_errors_pass_through_unchanged():
    error = RuntimeError("mat1 and mat2 shapes cannot be multiplied (3x4 and 5x6)")
    with pytest.raises(RuntimeError) as info:
        with out_of_memory_guard("cfg.yaml", "running gnn inference"):
            raise error
    assert info.value is error
    assert not is_out_of_memory(ValueError("out of memory"))
