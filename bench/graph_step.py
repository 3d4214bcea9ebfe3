"""Benchmark the embedding stage's graph search: compiled selection vs the NumPy reference, same run.

On the trained embedding of full events (the config's first test events, every hit), the
radius graph of :func:`trackgnn.embedding.embedding_graph` is built by the reference path
(``fused=False``: NumPy neighbour selection, ``LayerPairMap.allowed`` on every candidate pair,
first ``k`` per hit, NumPy orientation) and by the default compiled path, interleaved, several
times; the neighbour search alone (the backend's query, shared by both) is timed too, so the
split search / post-processing shows.  Prints median seconds and ratios to the reference and
checks the edges are identical (same set, orientation and order).

With ``search_k: all`` (the k nearest allowed hits, the layer-pair filter inside the compiled
KD-tree's search) the reference would search every hit; the baseline is then the search of the
``--baseline-search-k`` nearest (scipy's KD-tree) followed by the compiled filter, and the
bench prints both times, their ratio and the share of edges the two graphs have in common.

    cd <project with configs/ and runs/> && python bench/graph_step.py --config configs/embedding.yaml
    python bench/graph_step.py --config configs/embedding.yaml --events 2 --repeats 5
    python bench/graph_step.py --config configs/embedding.yaml --baseline-search-k 50   # with search_k: all
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np


def embedded_events(config_path: str, n_events: int) -> tuple[Any, Any, list[Any]]:
    """(graph config, layer-pair map, events with their ``embedding``) of a trained embedding stage."""
    import torch

    from trackgnn.stages import load_stage_config

    stage, config = load_stage_config(config_path)
    module = stage.data_module(config)
    trained = stage.load_trained(config)
    embed = trained.steps[0]  # the "embedding" step, before the graph search
    events = []
    with torch.no_grad():
        for path in module.files("test")[:n_events]:
            events.append(embed.run(module.load(path, cut=False)))
    return config.graph, trained.model.layer_pairs, events


def warm_up(graph) -> None:
    """Compile (or load from the cache) the numba kernels on a few random points."""
    from trackgnn.graph import PairFilter, radius_graph

    rng = np.random.default_rng(0)
    x = rng.normal(0, graph.r, (500, 8)).astype(np.float32)
    pairs = PairFilter(rng.integers(0, 3, len(x)).astype(np.int64), np.ones((3, 3), bool))
    for fused in (False, True):
        for search_k in {graph.search_k or graph.k, graph.k}:
            radius_graph(x, rng.uniform(0, 1, len(x)), graph.r, graph.k, backend=graph.backend,
                         keep=pairs, search_k=search_k, fused=fused)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _interleaved(runs: dict[str, Callable[[], Any]], repeats: int) -> tuple[dict, dict, dict]:
    """Each run ``repeats`` times, who goes first alternating: (median seconds, all seconds, last outputs) per run."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    edges: dict[str, Any] = {}
    for rep in range(repeats):
        for name in (list(runs) if rep % 2 == 0 else list(reversed(runs))):
            seconds, edges[name] = _timed(runs[name])
            times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}, times, edges


def bench_event(data, graph, layer_pairs, repeats: int) -> dict:
    """Median seconds of the reference graph, the compiled graph and the bare neighbour search."""
    from trackgnn.embedding import embedding_graph
    from trackgnn.graph import neighbour_blocks

    kk = (graph.search_k or graph.k) + 1

    def search() -> None:
        for _ in neighbour_blocks(data.embedding, graph.r, kk, graph.backend, graph.chunk_size):
            pass

    runs = {
        "reference": lambda: embedding_graph(data.embedding, data, graph, "cpu", layer_pairs, fused=False),
        "fused": lambda: embedding_graph(data.embedding, data, graph, "cpu", layer_pairs),
        "search": search,
    }
    med, times, edges = _interleaved(runs, repeats)
    return {
        "n_hits": int(data.embedding.shape[0]), "n_edges": int(edges["fused"].shape[1]),
        "identical": bool((edges["reference"].shape == edges["fused"].shape)
                          and bool((edges["reference"] == edges["fused"]).all())),
        "reference_s": med["reference"], "fused_s": med["fused"], "search_s": med["search"],
        "speedup": med["reference"] / med["fused"],
        "post_reference_s": med["reference"] - med["search"], "post_fused_s": med["fused"] - med["search"],
        "times": times,
    }


def bench_search_all(data, graph, layer_pairs, repeats: int, baseline_k: int) -> dict:
    """Median seconds of the ``baseline_k`` search + filter and of the search of all allowed pairs."""
    from dataclasses import replace

    from trackgnn.embedding import embedding_graph

    baseline = replace(graph, search_k=baseline_k, backend="kdtree")
    runs = {
        "baseline": lambda: embedding_graph(data.embedding, data, baseline, "cpu", layer_pairs),
        "all": lambda: embedding_graph(data.embedding, data, graph, "cpu", layer_pairs),
    }
    med, times, edges = _interleaved(runs, repeats)
    codes = {name: set((e[0].numpy() * data.embedding.shape[0] + e[1].numpy()).tolist()) for name, e in edges.items()}
    return {
        "n_hits": int(data.embedding.shape[0]), "baseline_edges": len(codes["baseline"]), "all_edges": len(codes["all"]),
        "common_of_baseline": len(codes["baseline"] & codes["all"]) / max(1, len(codes["baseline"])),
        "baseline_s": med["baseline"], "all_s": med["all"], "speedup": med["baseline"] / med["all"], "times": times,
    }


def main_search_all(graph, layer_pairs, events, repeats: int, baseline_k: int, out: Path) -> None:
    print(f"graph: r = {graph.r}, k = {graph.k}, search_k = all vs {baseline_k} nearest then filtered "
          f"(scipy KD-tree), backend = {graph.backend}")
    print(f"  {'hits':>7}{'edges ' + str(baseline_k):>11}{'edges all':>11}{'common':>8}{'s ' + str(baseline_k):>8}"
          f"{'s all':>8}{'x faster':>9}")
    rows = []
    for data in events:
        row = bench_search_all(data, graph, layer_pairs, repeats, baseline_k)
        rows.append(row)
        print(f"  {row['n_hits']:>7}{row['baseline_edges']:>11}{row['all_edges']:>11}{row['common_of_baseline']:>8.4f}"
              f"{row['baseline_s']:>8.3f}{row['all_s']:>8.3f}{row['speedup']:>9.2f}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nwrote {out}")


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/embedding.yaml", help="trained embedding stage config")
    parser.add_argument("--events", type=int, default=1, help="test events to time")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats per path (median)")
    parser.add_argument("--baseline-search-k", type=int, default=50,
                        help="with search_k: all, the baseline's neighbours searched before the filter")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "graph_step.json"))
    args = parser.parse_args()

    graph, layer_pairs, events = embedded_events(args.config, args.events)
    warm_up(graph)
    if graph.search_k == "all":
        main_search_all(graph, layer_pairs, events, args.repeats, args.baseline_search_k, Path(args.out))
        return
    print(f"graph: r = {graph.r}, k = {graph.k}, search_k = {graph.search_k}, backend = {graph.backend}, "
          f"chunk = {graph.chunk_size}, torch threads = {torch.get_num_threads()}")
    print(f"  {'hits':>7}{'edges':>9}{'reference s':>13}{'fused s':>9}{'x faster':>9}{'search s':>10}"
          f"{'post ref s':>12}{'post fused s':>14}  identical")
    rows = []
    for data in events:
        row = bench_event(data, graph, layer_pairs, args.repeats)
        rows.append(row)
        print(f"  {row['n_hits']:>7}{row['n_edges']:>9}{row['reference_s']:>13.3f}{row['fused_s']:>9.3f}"
              f"{row['speedup']:>9.2f}{row['search_s']:>10.3f}{row['post_reference_s']:>12.3f}"
              f"{row['post_fused_s']:>14.3f}  {row['identical']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nwrote {out}")
    if not all(row["identical"] for row in rows):
        raise SystemExit("the compiled path's edges differ from the reference's")


if __name__ == "__main__":
    main()
