"""Benchmark the graph-construction backends on ~110k points (a full event's worth of hits).

For 8- and 12-dimensional inputs, every registered backend of ``trackgnn.graph``
builds the fixed-radius k-NN graph; we report wall time, peak memory (largest resident-set
growth of a fresh worker process during the search), number of pairs and recall against the exact
FAISS flat search, and ratios to that baseline measured in the same run.

Points are either random clustered points (default; ~11 points per cluster like the
hits of one track, plus 10 % uniform noise) or the trained embedding of a full
simulated event (``--source embedding --config configs/embedding.yaml``; the event
is the first preprocessed event of that config, without hard cuts).

    python bench/graph_build.py                       # 110k clustered points, 8 and 12 dims
    python bench/graph_build.py --points 20000 --dims 8
    python bench/graph_build.py --source embedding --config configs/embedding.yaml
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

import numpy as np

BASELINE = "faiss"


def clustered_points(n: int, dim: int, seed: int = 0, per_cluster: int = 11, sigma: float = 0.02,
                     noise: float = 0.1) -> np.ndarray:
    """``n`` points in [-1, 1]^dim: Gaussian clusters of ``per_cluster`` points plus uniform noise."""
    rng = np.random.default_rng(seed)
    n_noise = int(noise * n)
    n_clustered = n - n_noise
    centres = rng.uniform(-1, 1, size=(max(1, n_clustered // per_cluster), dim))
    members = centres[rng.integers(0, len(centres), n_clustered)] + rng.normal(0, sigma, (n_clustered, dim))
    return np.concatenate([members, rng.uniform(-1, 1, (n_noise, dim))]).astype(np.float32)


def embedded_event(config_path: str) -> tuple[np.ndarray, float, int]:
    """Embedding of the first event of a trained embedding stage (all hits), with its r and k."""
    import torch

    from trackgnn.stages import load_stage_config

    stage, config = load_stage_config(config_path)
    data = stage.data_module(config).load(stage.data_module(config).files("test")[0], cut=False)
    embed = stage.load_trained(config).steps[0]  # the "embedding" step, before the graph search
    with torch.no_grad():
        return embed.run(data).embedding.numpy(), config.graph.r, config.graph.k


def _worker(backend: str, points_file: str, r: float, k: int, chunk: int | None, out_file: str) -> None:
    import torch

    from trackgnn.graph import knn_within_radius

    points = np.load(points_file)
    knn_within_radius(points[:500], r, k, backend=backend)  # warm up imports and thread pools
    with _PeakRSS() as memory:
        start = time.perf_counter()
        src, dst = knn_within_radius(points, r, k, backend=backend, chunk_size=chunk)
        seconds = time.perf_counter() - start
    np.savez(out_file, src=src, dst=dst, seconds=seconds, peak_mib=memory.peak_growth / 2**20,
             threads=torch.get_num_threads())


class _PeakRSS:
    """Largest growth of this process's resident set while the block runs (sampled every 2 ms)."""

    def __enter__(self):
        import threading

        import psutil

        self._process = psutil.Process()
        self._start = self._process.memory_info().rss
        self.peak_growth = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_growth = max(self.peak_growth, self._process.memory_info().rss - self._start)
            self._stop.wait(0.002)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_growth = max(self.peak_growth, self._process.memory_info().rss - self._start)


def run_backend(backend, points_file, r, k, chunk, tmp) -> dict:
    out_file = str(Path(tmp) / f"{backend}.npz")
    ctx = mp.get_context("spawn")
    proc = ctx.Process(target=_worker, args=(backend, points_file, r, k, chunk, out_file))
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"backend {backend} failed (exit code {proc.exitcode})")
    res = np.load(out_file)
    return {"seconds": float(res["seconds"]), "peak_mib": float(res["peak_mib"]),
            "pairs": (res["src"].astype(np.int64) * 10**7 + res["dst"]), "threads": int(res["threads"])}


def benchmark(points: np.ndarray, r: float, k: int, chunk: int | None, backends: list[str]) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        points_file = str(Path(tmp) / "points.npy")
        np.save(points_file, points)
        results = {b: run_backend(b, points_file, r, k, chunk, tmp) for b in backends}
    exact = np.unique(results[BASELINE]["pairs"])
    rows = []
    for name, res in results.items():
        pairs = np.unique(res["pairs"])
        rows.append({
            "backend": name, "n_points": int(len(points)), "dim": int(points.shape[1]), "r": r, "k": k,
            "chunk_size": chunk, "seconds": res["seconds"], "peak_mib": res["peak_mib"],
            "pairs": int(len(pairs)), "recall": float(np.isin(exact, pairs).mean()) if len(exact) else 1.0,
            "time_ratio": res["seconds"] / results[BASELINE]["seconds"],
            "threads": res["threads"],
        })
    return rows


def main() -> None:
    from trackgnn.graph import BACKENDS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=["clustered", "embedding"], default="clustered")
    parser.add_argument("--config", default="configs/embedding.yaml", help="embedding config (--source embedding)")
    parser.add_argument("--points", type=int, default=110_000)
    parser.add_argument("--dims", type=int, nargs="+", default=[8, 12])
    parser.add_argument("--radius", type=float, default=0.1)
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--chunk-size", type=int, default=20_000)
    parser.add_argument("--backends", nargs="+", default=sorted(BACKENDS))
    parser.add_argument("--out", default="bench/results/graph_build.json")
    args = parser.parse_args()
    if BASELINE not in args.backends:
        args.backends.insert(0, BASELINE)

    rows = []
    if args.source == "embedding":
        points, r, k = embedded_event(args.config)
        inputs = [(points, r, k)]
    else:
        inputs = [(clustered_points(args.points, d), args.radius * np.sqrt(d / 8), args.k) for d in args.dims]
    for points, r, k in inputs:
        print(f"\n{len(points)} points, {points.shape[1]} dims, r = {r:.3g}, k = {k}, chunk = {args.chunk_size}")
        print(f"  {'backend':<8}{'seconds':>9}{'x faiss':>9}{'peak MiB':>10}{'pairs':>11}{'recall':>9}")
        for row in benchmark(points, float(r), int(k), args.chunk_size, args.backends):
            rows.append(row)
            print(f"  {row['backend']:<8}{row['seconds']:>9.2f}{row['time_ratio']:>9.2f}{row['peak_mib']:>10.0f}"
                  f"{row['pairs']:>11d}{row['recall']:>9.4f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
