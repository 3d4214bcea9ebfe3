"""Tracks by walking the directed graph from its innermost hits along the best-scored edges."""

from __future__ import annotations

import numpy as np

from trackgnn.tracking._graph import ScoredGraph
from trackgnn.tracking._labels import compact_labels

__all__ = ["walkthrough"]


def _csr(keys: np.ndarray, size: int) -> np.ndarray:
    """Row pointer of entries already sorted by ``keys`` in [0, size)."""
    return np.r_[0, np.cumsum(np.bincount(keys, minlength=size))].astype(np.int64)


class _Walker:
    """CSR views of the kept edges (and triplets) plus the walk state."""

    def __init__(self, graph: ScoredGraph, score_cut: float, triplet_cut: float) -> None:
        n = graph.num_nodes
        edges, kept = graph.edges_above(score_cut)
        src, dst, score = edges[0], edges[1], graph.scores[kept]
        order = np.lexsort((dst, -score, src))  # per source: best score first
        self.out_edge, self.out_dst, self.out_score = kept[order], dst[order], score[order]
        self.out_ptr = _csr(src[order], n)
        in_order = np.lexsort((src, dst))
        self.in_src, self.in_ptr = src[in_order], _csr(dst[in_order], n)
        self.indegree = np.bincount(dst, minlength=n)
        self.active = (self.indegree > 0) | (np.diff(self.out_ptr) > 0)
        self.visited = np.zeros(n, dtype=bool)
        self.triplet_cut = triplet_cut
        self.tri_ptr = None
        if graph.triplets is not None and graph.triplets.shape[1]:
            t_in, t_out = graph.triplets
            order = np.lexsort((t_out, t_in))
            self.tri_out, self.tri_score = t_out[order], graph.triplet_scores[order]
            self.tri_ptr = _csr(t_in[order], graph.num_edges)

    def best_first_score(self, node: int) -> float:
        lo, hi = self.out_ptr[node], self.out_ptr[node + 1]
        return float(self.out_score[lo]) if hi > lo else -1.0

    def _triplet_scores(self, prev_edge: int) -> dict[int, float]:
        if self.tri_ptr is None or prev_edge < 0:
            return {}
        lo, hi = self.tri_ptr[prev_edge], self.tri_ptr[prev_edge + 1]
        return dict(zip(self.tri_out[lo:hi].tolist(), self.tri_score[lo:hi].tolist()))

    def walk(self, seed: int) -> list[int]:
        """Follow the best outgoing edge to unused hits; triplet scores veto or rank the choice."""
        path, on_path = [seed], {seed}
        node, prev_edge = seed, -1
        while True:
            triplet_scores = self._triplet_scores(prev_edge)
            best_k, best = -1, -np.inf
            for k in range(self.out_ptr[node], self.out_ptr[node + 1]):
                target = int(self.out_dst[k])
                if self.visited[target] or target in on_path:
                    continue
                value = triplet_scores.get(int(self.out_edge[k]))
                if value is None:
                    value = float(self.out_score[k])
                elif value < self.triplet_cut:
                    continue
                if value > best:
                    best_k, best = k, value
            if best_k < 0:
                return path
            node, prev_edge = int(self.out_dst[best_k]), int(self.out_edge[best_k])
            path.append(node)
            on_path.add(node)

    def neighbours(self, path: list[int], min_links: int) -> list[int]:
        """Unused hits with at least ``min_links`` edges to or from ``path``, in hit order."""
        on_path = set(path)
        links: dict[int, int] = {}
        for node in path:
            for ends in (self.out_dst[self.out_ptr[node]:self.out_ptr[node + 1]],
                         self.in_src[self.in_ptr[node]:self.in_ptr[node + 1]]):
                for other in ends.tolist():
                    if not self.visited[other] and other not in on_path:
                        links[other] = links.get(other, 0) + 1
        return sorted(hit for hit, count in links.items() if count >= min_links)

    def consume(self, path: list[int]) -> None:
        """Mark hits used and release the in-degree they held on their successors."""
        for node in path:
            self.visited[node] = True
            lo, hi = self.out_ptr[node], self.out_ptr[node + 1]
            np.subtract.at(self.indegree, self.out_dst[lo:hi], 1)


def walkthrough(
    graph: ScoredGraph,
    *,
    score_cut: float = 0.5,
    triplet_cut: float = 0.05,
    min_hits: int = 3,
    absorb_links: int = 2,
) -> np.ndarray:
    """Build tracks by walking from the innermost unused hits along the best-scored edges.

    Rounds: hits whose every incoming edge (above the cut) comes from an already used
    hit are seeds (the innermost hits first); seeds are walked in order of their best
    outgoing score; a walk follows the highest-scored outgoing edge to an unused hit
    until none is left.  When ``graph`` carries triplets, the step after an edge e is
    ranked by the score of the triplet (e, next edge), and a triplet scoring below
    ``triplet_cut`` forbids that step; a next edge without a triplet falls back to its
    doublet score.  A cycle (no seed left but unused hits) is broken at its lowest hit.
    A finished walk also takes the unused hits with at least ``absorb_links`` edges
    to or from it: the second hit a particle leaves on a layer (overlapping modules)
    closes a diamond with the walk (an edge from the hit before, one to the hit after).

    Parameters
    ----------
    graph : ScoredGraph
        Edges directed inner → outer; optional triplets from a cut at or below ``score_cut``.
    score_cut : float
        Edges below it are never followed.
    triplet_cut : float
        Triplet score below which a step is forbidden.  Keep it low: a veto at 0.5 splits
        every track whose true continuation the triplet classifier misses once.
    min_hits : int
        Walks with fewer hits are not tracks (their hits stay used, label −1).
    absorb_links : int
        Edges (above the cut) an unused hit needs with a finished walk to join it; 0 disables.

    Returns
    -------
    ndarray
        (N,) int64 track label per hit, 0..K−1, −1 for none.
    """
    n = graph.num_nodes
    labels = np.full(n, -1, dtype=np.int64)
    if n == 0 or graph.num_edges == 0:
        return labels
    walker = _Walker(graph, score_cut, triplet_cut)
    next_label = 0
    while True:
        pending = walker.active & ~walker.visited
        if not pending.any():
            break
        seeds = np.flatnonzero(pending & (walker.indegree <= 0))
        if seeds.size == 0:
            seeds = np.flatnonzero(pending)[:1]
        best = np.array([walker.best_first_score(s) for s in seeds])
        for seed in seeds[np.argsort(-best, kind="stable")]:
            if walker.visited[seed]:
                continue
            path = walker.walk(int(seed))
            if len(path) >= min_hits and absorb_links > 0:
                path += walker.neighbours(path, absorb_links)
            walker.consume(path)
            if len(path) >= min_hits:
                labels[path] = next_label
                next_label += 1
    return compact_labels(labels, 1)
