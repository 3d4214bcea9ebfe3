"""Each point's ``k`` nearest *allowed* neighbours within ``r``: the layer-pair filter inside the search.

:func:`~trackgnn.graph.knn_within_radius` searches the ``search_k`` nearest points of any kind
and keeps the first ``k`` allowed ones; its time grows with ``search_k``, and a hit with more
than ``search_k - k`` disallowed points nearby keeps fewer than ``k``.  Here the disallowed points
never count: the compiled KD-tree (:mod:`trackgnn.graph._kdtree`, CPU) skips them while it
searches, the brute-force ``torch`` backend (any device) masks them in its distance blocks.
FAISS cannot filter inside its search and is refused.
"""

from __future__ import annotations

import numpy as np

from trackgnn.graph._backends import _as_numpy, _block_rows, _chunks, resolved_backend_name
from trackgnn.graph._layer_map import PairFilter

__all__ = ["ALLOWED_SEARCH_BACKENDS", "allowed_backend_name", "allowed_neighbours"]

#: Backends that can search allowed pairs only (``auto`` resolves to one of them: see :func:`allowed_neighbours`).
ALLOWED_SEARCH_BACKENDS = ("kdtree", "torch")


def allowed_backend_name(backend: str, device: str = "cpu") -> str:
    """The backend :func:`allowed_neighbours` runs for ``backend`` on ``device``: ``auto`` becomes
    ``kdtree`` on CPU and ``torch`` on CUDA; ``faiss`` (no filter inside its search) is refused."""
    if backend == "auto":
        return "torch" if str(device).startswith("cuda") else "kdtree"
    name = resolved_backend_name(backend, device)
    if name not in ALLOWED_SEARCH_BACKENDS:
        raise ValueError(f"search_k 'all' needs a backend that filters pairs inside its search "
                         f"({', '.join(ALLOWED_SEARCH_BACKENDS)}), got {backend!r}: FAISS cannot")
    return name


def allowed_neighbours(x, r: float, k: int, pair_filter: PairFilter | None, backend: str = "auto",
                       chunk_size: int | None = None, device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """Directed pairs (query → neighbour): each point's ``k`` nearest others within ``r`` whose
    layer pair ``pair_filter`` allows (every pair without a filter), nearest first.

    Parameters
    ----------
    x : ndarray or Tensor of shape (n, d), float
    r : float
    k : int
    pair_filter : PairFilter or None
    backend : str
        ``auto`` (the KD-tree on CPU, ``torch`` on CUDA), ``kdtree`` (CPU) or ``torch``.
    chunk_size : int, optional
        Queries per distance block of the ``torch`` backend.
    device : str

    Returns
    -------
    (src, dst) : ndarray of shape (n_pairs,), int64
        Query after query, nearest first.
    """
    if r <= 0 or k < 1:
        raise ValueError(f"radius must be > 0 and k >= 1, got r={r}, k={k}")
    name = allowed_backend_name(backend, device)
    n = len(x)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    k = min(k, max(n - 1, 1))
    if name == "kdtree":
        from trackgnn.graph._kdtree import allowed_knn, build_tree

        tree = build_tree(_as_numpy(x))  # float32, as every backend searches
        rows, table = (None, None) if pair_filter is None else (pair_filter.rows, pair_filter.table)
        _, idx = allowed_knn(tree, r, k, rows, table)
    else:
        idx = _masked_brute_force(x, r, k, pair_filter, chunk_size, device)
    found = idx >= 0
    return np.repeat(np.arange(n, dtype=np.int64), found.sum(axis=1)), idx[found]


def _masked_brute_force(x, r: float, k: int, pair_filter: PairFilter | None, chunk_size: int | None,
                        device: str) -> np.ndarray:
    """(n, k) neighbour indices (-1 pads) from blocked ``torch.cdist`` with the query itself, the
    points beyond ``r`` and the disallowed pairs set to infinity before ``topk``."""
    import torch

    points = torch.as_tensor(x, dtype=torch.float32).to(device)
    n = points.shape[0]
    if pair_filter is not None:
        rows = torch.as_tensor(pair_filter.rows, device=points.device)
        table = torch.as_tensor(pair_filter.table, device=points.device)
    out = np.empty((n, k), np.int64)
    for start, stop in _chunks(n, _block_rows(n, chunk_size)):
        dist = torch.cdist(points[start:stop], points)
        block = torch.arange(start, stop, device=points.device)
        dist[block - start, block] = torch.inf
        dist[dist >= r] = torch.inf
        if pair_filter is not None:
            dist[~table[rows[start:stop]][:, rows]] = torch.inf
        d, idx = torch.topk(dist, k, dim=1, largest=False, sorted=True)
        out[start:stop] = torch.where(torch.isfinite(d), idx, -1).cpu().numpy()
    return out
