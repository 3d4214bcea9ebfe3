"""Benchmark the last step of graph building: a kNN search's directed pairs → unique oriented edges.

Every query's ``k`` nearest (a full event: ~120k hits x ~24 pairs) are coded ``lo * n + hi``
(the hit of lower key first), sorted and deduplicated.  The baseline sorts all codes with NumPy
(the implementation before ``5ab6b50``); trackgnn's sorts them hit by hit (a compiled counting
sort by ``lo``, then each hit's few codes, :func:`trackgnn.graph._select._sorted_codes`).  Both run
on the same pairs, alternating; the medians, their ratio and the equality of the edges are
printed.

Pairs come from the trained embedding of the first test event (``--config``, default
``configs/gnn.yaml``'s chain: its embedding graph's search exactly) when ``runs/`` holds a trained
chain, else from clustered random points in 8 dimensions (``--points``).

    python bench/unique_edges.py
    python bench/unique_edges.py --points 120000 --k 24 --repeats 7
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np


def numpy_sorted(src: np.ndarray, dst: np.ndarray, key: np.ndarray) -> np.ndarray:
    """The baseline: every code through NumPy's sort."""
    from trackgnn.graph._select import _decode_unique, _oriented_codes

    codes = _oriented_codes(src, dst, key)
    codes.sort()
    return _decode_unique(codes, max(1, key.shape[0]))


def clustered_pairs(n: int, k: int, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(src, dst, key) of the ``k`` nearest within ``radius`` of ``n`` clustered points."""
    sys.path.insert(0, str(Path(__file__).parent))
    from graph_build import clustered_points

    from trackgnn.graph._allowed_search import allowed_neighbours

    points = clustered_points(n, 8)
    src, dst = allowed_neighbours(points, radius, k, None, backend="kdtree")
    return src, dst, np.linalg.norm(points[:, :2], axis=1)


def event_pairs(config: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(src, dst, key) of the trained embedding graph's search on the first test event, or None."""
    import torch

    from trackgnn.errors import TrackGNNError
    from trackgnn.graph import _build
    from trackgnn.pipeline import InferenceChain, default_test_events, iter_raw_events

    try:
        chain = InferenceChain(config)
        raw_dir, ids = default_test_events(chain)
        event_id, hits, cells, _, _ = next(iter(iter_raw_events(raw_dir, ids)))
    except (TrackGNNError, StopIteration):
        return None
    captured: dict = {}
    original = _build.oriented_unique_edges

    def capture(src, dst, key):
        captured.setdefault("pairs", (np.asarray(src, np.int64), np.asarray(dst, np.int64), np.asarray(key)))
        return original(src, dst, key)

    _build.oriented_unique_edges = capture
    try:
        with torch.no_grad():
            chain.run(event_id, hits, cells)
    finally:
        _build.oriented_unique_edges = original
    return captured.get("pairs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/gnn.yaml")
    parser.add_argument("--points", type=int, default=120_000, help="clustered points when no trained chain")
    parser.add_argument("--k", type=int, default=24)
    parser.add_argument("--radius", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default="bench/results/unique_edges.json")
    args = parser.parse_args()

    from trackgnn.graph._select import oriented_unique_edges

    pairs = event_pairs(args.config)
    source = "first test event's embedding search" if pairs is not None else "clustered points"
    if pairs is None:
        pairs = clustered_pairs(args.points, args.k, args.radius)
    src, dst, key = pairs
    methods = {"numpy sort (baseline)": numpy_sorted, "per-hit sort (trackgnn)": oriented_unique_edges}
    results = {name: method(src, dst, key) for name, method in methods.items()}  # compile, and check
    same = all(np.array_equal(result, results["numpy sort (baseline)"]) for result in results.values())
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(args.repeats):
        for name, method in methods.items():
            start = time.perf_counter()
            method(src, dst, key)
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in times.items()}
    base, ours = median.values()
    edges = results["per-hit sort (trackgnn)"].shape[1]
    print(f"{source}: {len(key)} hits, {len(src)} pairs -> {edges} edges ({args.repeats} repeats, median)")
    for name, seconds in median.items():
        print(f"  {name:24s} {seconds:.4f} s")
    print(f"  speedup {base / ours:.2f}x; same edges: {same}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"source": source, "hits": len(key), "pairs": len(src), "edges": edges,
                               "median_seconds": median, "speedup": base / ours, "same_edges": same}, indent=2) + "\n")
    print(f"wrote {out}")
    if not same:
        sys.exit("the two methods gave different edges")


if __name__ == "__main__":
    main()
