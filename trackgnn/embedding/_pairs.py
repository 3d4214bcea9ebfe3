"""Training pairs for the embedding: true pairs, random pairs and mined hard negatives."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["sample_pairs", "hard_negative_pairs"]


def hard_negative_pairs(embedding: Tensor, queries: Tensor, r: float, k: int,
                        block: int = 2048) -> Tensor:
    """Pairs (query, hit) of the ``k`` nearest hits within ``r`` of each query in the current embedding.

    On the CPU a KD-tree answers the queries (a full event's 100k+ hits make the brute-force
    distance matrix of many queries slow); on a GPU, blocked ``torch.cdist`` + ``topk``.

    Parameters
    ----------
    embedding : Tensor of shape (n_hits, d)
        Detached embeddings.
    queries : Tensor of shape (n_queries,), int64
    r : float
        Mining radius (embedding units).
    k : int
    block : int
        Queries per ``cdist`` block (GPU path).

    Returns
    -------
    Tensor of shape (2, n_pairs), int64 (self pairs excluded).
    """
    if queries.numel() == 0:
        return torch.zeros(2, 0, dtype=torch.long, device=embedding.device)
    kk = min(k + 1, embedding.shape[0])
    if embedding.device.type == "cpu":
        return _tree_pairs(embedding, queries, r, kk)
    out = []
    for start in range(0, queries.numel(), block):
        q = queries[start:start + block]
        dist = torch.cdist(embedding[q], embedding)
        d, idx = torch.topk(dist, kk, dim=1, largest=False)
        ok = (d < r) & (idx != q[:, None])
        rows, cols = ok.nonzero(as_tuple=True)
        out.append(torch.stack([q[rows], idx[rows, cols]]))
    return torch.cat(out, dim=1)


def _tree_pairs(embedding: Tensor, queries: Tensor, r: float, kk: int) -> Tensor:
    import numpy as np
    from scipy.spatial import cKDTree

    from trackgnn.graph import select_neighbours

    points = embedding.detach().numpy().astype(np.float32, copy=False)
    q = queries.numpy()
    dist, idx = cKDTree(points).query(points[q], k=kk, distance_upper_bound=r,
                                      workers=torch.get_num_threads())
    dist, idx = dist.reshape(len(q), kk), idx.reshape(len(q), kk)
    src, dst = select_neighbours(dist, idx, q, len(points), r, square=False, k=kk)
    return torch.from_numpy(np.stack([src, dst]))


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
