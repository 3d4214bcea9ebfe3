"""Per-hit aggregation of edge features for inference: the graph grouped once, numba kernels.

A message-passing GNN aggregates the edge features of every hit at each of its iterations, over
one fixed graph.  :class:`Adjacency` sorts the edges by target and by source once; the kernel
then reduces each hit's contiguous block of edges (sum, mean, max, min in one pass over the
block), writing the result straight into the node update's input.  Hits without edges get 0,
as PyG's aggregations give them.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from numba import njit, prange
from torch import Tensor

__all__ = ["KERNEL_AGGREGATIONS", "Adjacency"]

#: Aggregations :meth:`Adjacency.aggregate` computes, and their kernel codes.
KERNEL_AGGREGATIONS: dict[str, int] = {"sum": 0, "mean": 1, "max": 2, "min": 3}


@njit(parallel=True, cache=True)
def _aggregate(values, order, ptr, codes, out, col0):  # pragma: no cover - compiled
    """``out[node, col0 + k*C : col0 + (k+1)*C]`` = reduction ``codes[k]`` of the rows
    ``values[order[ptr[node]:ptr[node + 1]]]`` (0 for an empty block).

    Each hit's reductions accumulate in a small local array and are written once: accumulating
    in ``out`` itself made every update a store the compiler could not keep in registers
    (3x slower on a full event's graph).
    """
    n_nodes = ptr.shape[0] - 1
    channels = values.shape[1]
    n_codes = codes.shape[0]
    for node in prange(n_nodes):
        lo, hi = ptr[node], ptr[node + 1]
        acc = np.zeros((n_codes, channels), dtype=values.dtype)
        if hi > lo:
            for k in range(n_codes):
                code = codes[k]
                reduced = acc[k]
                if code <= 1:
                    for p in range(lo, hi):
                        row = values[order[p]]
                        for j in range(channels):
                            reduced[j] += row[j]
                    if code == 1:
                        for j in range(channels):
                            reduced[j] /= hi - lo
                else:
                    row = values[order[lo]]
                    for j in range(channels):
                        reduced[j] = row[j]
                    for p in range(lo + 1, hi):
                        row = values[order[p]]
                        for j in range(channels):
                            v = row[j]
                            if (code == 2 and v > reduced[j]) or (code == 3 and v < reduced[j]):
                                reduced[j] = v
        for k in range(n_codes):
            base = col0 + k * channels
            for j in range(channels):
                out[node, base + j] = acc[k, j]


def _grouped(index: Tensor, num_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Edge ids sorted by ``index`` (stable) and the (num_nodes + 1,) block offsets."""
    order = torch.argsort(index, stable=True)
    ptr = torch.zeros(num_nodes + 1, dtype=torch.long)
    torch.cumsum(torch.bincount(index, minlength=num_nodes), 0, out=ptr[1:])
    return order.numpy(), ptr.numpy()


class Adjacency:
    """The edges of one graph grouped by target hit (incoming) and by source hit (outgoing).

    Parameters
    ----------
    edge_index : Tensor
        (2, E) long on the CPU, rows (source, target).
    num_nodes : int
    """

    def __init__(self, edge_index: Tensor, num_nodes: int) -> None:
        edge_index = edge_index.cpu()
        self.num_nodes = int(num_nodes)
        self.incoming = _grouped(edge_index[1], self.num_nodes)
        self.outgoing = _grouped(edge_index[0], self.num_nodes)

    def aggregate(self, values: Tensor, names: Sequence[str], both: bool, out: Tensor | None = None,
                  col0: int = 0) -> Tensor:
        """Aggregations ``names`` of each hit's incoming edges (then, with ``both``, outgoing ones).

        Parameters
        ----------
        values : Tensor
            (E, C) edge features (computed in float32).
        names : sequence of str
            Keys of :data:`KERNEL_AGGREGATIONS`.
        both : bool
            Also aggregate outgoing edges, after the incoming ones.
        out : Tensor, optional
            float32 (num_nodes, ≥ col0 + width) written from column ``col0`` (default: a new
            (num_nodes, width) tensor, ``col0`` 0).

        Returns
        -------
        Tensor
            ``out``, whose columns ``col0 …`` hold ``[in_names…, out_names…]``, each C wide, as
            PyG's ``MultiAggregation`` concatenates them.
        """
        codes = np.array([KERNEL_AGGREGATIONS[name] for name in names], dtype=np.int64)
        channels = values.shape[1]
        width = len(codes) * channels * (2 if both else 1)
        if out is None:
            out, col0 = torch.empty((self.num_nodes, width), dtype=torch.float32), 0
        array = values.detach().float().contiguous().numpy()
        target = out.numpy()
        _aggregate(array, *self.incoming, codes, target, col0)
        if both:
            _aggregate(array, *self.outgoing, codes, target, col0 + len(codes) * channels)
        return out
