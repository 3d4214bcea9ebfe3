"""Triplets: pairs of edges sharing their middle hit (inner → middle → outer), and their truth."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["build_triplets", "triplet_hits", "triplet_truth"]


def build_triplets(
    edge_index: Tensor, scores: Tensor | None = None, cut: float = 0.0, num_nodes: int | None = None
) -> Tensor:
    """All pairs (incoming edge, outgoing edge) of a hit, among edges with ``score ≥ cut``.

    Vectorised: incoming edges are sorted by their target (the middle hit), outgoing
    ones by their source, and every incoming edge is paired with the block of its
    middle hit's outgoing edges.  Pairs that go back to the inner hit (a → m → a)
    are dropped.

    Parameters
    ----------
    edge_index : Tensor
        (2, E) long, rows (source = inner hit, target = outer hit).
    scores : Tensor, optional
        (E,) edge scores in [0, 1]; ``None`` keeps every edge.
    cut : float
        Keep edges with ``scores >= cut`` (a loose cut, below the track-building one).
    num_nodes : int, optional
        Number of hits (default ``edge_index.max() + 1``).

    Returns
    -------
    Tensor
        (2, T) long: row 0 the incoming edge's index, row 1 the outgoing edge's
        index, both into the original ``edge_index``.  Ordered by middle hit, then
        incoming edge, then outgoing edge.
    """
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"build_triplets: edge_index must have shape (2, E), got {tuple(edge_index.shape)}")
    device = edge_index.device
    edge_ids = torch.arange(edge_index.size(1), device=device)
    if scores is not None:
        if scores.shape != (edge_index.size(1),):
            raise ValueError(
                f"build_triplets: scores must have shape ({edge_index.size(1)},), got {tuple(scores.shape)}"
            )
        edge_ids = edge_ids[scores >= cut]
    if edge_ids.numel() == 0:
        return torch.zeros((2, 0), dtype=torch.long, device=device)
    src, dst = edge_index[:, edge_ids]
    n = int(num_nodes) if num_nodes is not None else int(edge_index.max()) + 1

    in_order = torch.argsort(dst, stable=True)
    incoming, middle = edge_ids[in_order], dst[in_order]
    out_order = torch.argsort(src, stable=True)
    outgoing = edge_ids[out_order]
    n_out = torch.bincount(src, minlength=n)
    out_start = torch.cumsum(n_out, 0) - n_out

    repeats = n_out[middle]
    total = int(repeats.sum())
    if total == 0:
        return torch.zeros((2, 0), dtype=torch.long, device=device)
    edge_in = torch.repeat_interleave(incoming, repeats)
    block_start = torch.repeat_interleave(torch.cumsum(repeats, 0) - repeats, repeats)
    local = torch.arange(total, device=device) - block_start
    edge_out = outgoing[torch.repeat_interleave(out_start[middle], repeats) + local]
    not_back = edge_index[0, edge_in] != edge_index[1, edge_out]
    return torch.stack([edge_in[not_back], edge_out[not_back]])


def triplet_hits(edge_index: Tensor, triplets: Tensor) -> Tensor:
    """(3, T) hit indices (inner, middle, outer) of ``triplets`` from :func:`build_triplets`."""
    return torch.stack([edge_index[0, triplets[0]], edge_index[1, triplets[0]], edge_index[1, triplets[1]]])


def triplet_truth(edge_truth: Tensor, triplets: Tensor) -> Tensor:
    """Whether a triplet's three hits are consecutive hits of one particle.

    Both edges must be truth edges (consecutive hits of one particle, e.g.
    ``truth_edge_mask(...)[1]``); as they share the middle hit, which belongs to a
    single particle, the three hits are then consecutive on that particle.

    Parameters
    ----------
    edge_truth : Tensor
        (E,) bool, whether each edge of the graph is a truth edge.
    triplets : Tensor
        (2, T) incoming / outgoing edge indices (:func:`build_triplets`).

    Returns
    -------
    Tensor
        (T,) bool.
    """
    edge_truth = edge_truth.bool()
    return edge_truth[triplets[0]] & edge_truth[triplets[1]]
