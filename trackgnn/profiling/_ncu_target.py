"""Process profiled by ncu: ``gemm N`` (calibration) or ``app CONFIG EVENT [HARD_CUTS]`` (the chain's steps
in NVTX ranges, run through its step hook; HARD_CUTS is 1 (default) or 0 for every hit)."""

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
    from trackgnn.profiling._pipeline import load_chain_event

    hard_cuts = argv[3] != "0" if len(argv) > 3 else True
    chain, (event_id, hits, cells, particles, truth) = load_chain_event(argv[1], "cuda", int(argv[2]))
    if hard_cuts:
        from trackgnn.pipeline import hard_cut_hits

        _, hits, cells = hard_cut_hits(hits, cells, particles, truth, chain.hard_cuts)

    def in_range(step, item):
        with nvtx_range(step.name, True):
            out = step.run(item)
            torch.cuda.synchronize()
        return out

    with torch.inference_mode():
        chain.run(event_id, hits, cells, hook=in_range)


if __name__ == "__main__":
    main(sys.argv[1:])
