"""Training pairs for the embedding: true pairs, random pairs and mined hard negatives."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["sample_pairs", "hard_negative_pairs"]


def hard_negative_pairs(embedding: Tensor, queries: Tensor, r: float, k: int,
                        block: int = 2048) -> Tensor:
    """Pairs (query, hit) of the ``k`` nearest hits within ``r`` of each query in the current embedding.

    Parameters
    ----------
    embedding : Tensor of shape (n_hits, d)
        Detached embeddings.
    queries : Tensor of shape (n_queries,), int64
    r : float
        Mining radius (embedding units).
    k : int

    Returns
    -------
    Tensor of shape (2, n_pairs), int64 (self pairs excluded).
    """
    out = []
    kk = min(k + 1, embedding.shape[0])
    for start in range(0, queries.numel(), block):
        q = queries[start:start + block]
        dist = torch.cdist(embedding[q], embedding)
        d, idx = torch.topk(dist, kk, dim=1, largest=False)
        ok = (d < r) & (idx != q[:, None])
        rows, cols = ok.nonzero(as_tuple=True)
        out.append(torch.stack([q[rows], idx[rows, cols]]))
    return torch.cat(out, dim=1) if out else torch.zeros(2, 0, dtype=torch.long)


def sample_pairs(embedding: Tensor, track_edges: Tensor, n_queries: int, r: float, k: int,
                 n_random: int, generator: torch.Generator) -> Tensor:
    """The pairs of one training step, de-duplicated.

    Queries are ``n_queries`` random hits; their hard negatives (:func:`hard_negative_pairs`)
    and ``n_random`` random partners each are joined with every truth edge in both orientations.

    Returns
    -------
    Tensor of shape (2, n_pairs), int64.
    """
    n = embedding.shape[0]
    queries = torch.randperm(n, generator=generator)[: min(n_queries, n)]
    parts = [hard_negative_pairs(embedding, queries, r, k), track_edges, track_edges.flip(0)]
    if n_random > 0 and n > 1:
        partners = torch.randint(0, n, (queries.numel(), n_random), generator=generator)
        parts.append(torch.stack([queries.repeat_interleave(n_random), partners.reshape(-1)]))
    pairs = torch.cat(parts, dim=1)
    code = torch.unique(pairs[0] * n + pairs[1])
    pairs = torch.stack([code // n, code % n])
    return pairs[:, pairs[0] != pairs[1]]
