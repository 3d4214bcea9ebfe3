"""Process profiled by ncu: ``gemm N`` (calibration) or ``app CONFIG EVENT [HARD_CUTS]`` (pipeline stages in
NVTX ranges; HARD_CUTS is 1 (default) or 0 for every hit)."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> None:
    import torch

    from trackgnn.profiling._app import nvtx_range

    if argv[0] == "gemm":
        n = int(argv[1])
        a = torch.rand(n, n, device="cuda", dtype=torch.bfloat16)
        b = torch.rand(n, n, device="cuda", dtype=torch.bfloat16)
        torch.cuda.synchronize()
        with nvtx_range("gemm", True):
            torch.matmul(a, b)
            torch.cuda.synchronize()
        return
    from trackgnn.profiling._pipeline import pipeline_stages

    hard_cuts = argv[3] != "0" if len(argv) > 3 else True
    stages, data, _event, _hits = pipeline_stages(argv[1], "cuda", int(argv[2]), hard_cuts)
    with torch.inference_mode():
        for stage in stages:
            with nvtx_range(stage.name, True):
                data = stage.run(data)
                torch.cuda.synchronize()


if __name__ == "__main__":
    main(sys.argv[1:])
