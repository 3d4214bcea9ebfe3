"""Exact fixed-radius k-nearest-neighbour search backends, selected by name.

Every backend answers the same question: for each point ``i``, the (at most)
``k`` nearest other points ``j`` with ``|x_i - x_j| < r``.  Results agree across
backends up to float rounding at the radius and ties at the k-th distance.
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

__all__ = ["BACKENDS", "register_backend", "resolve_backend", "resolved_backend_name", "knn_within_radius"]

Backend = Callable[..., tuple[np.ndarray, np.ndarray]]
BACKENDS: dict[str, Backend] = {}

#: Bytes of distance matrix a brute-force query block may use.
_BLOCK_BYTES = 256 * 2**20


def register_backend(name: str) -> Callable[[Backend], Backend]:
    """Decorator adding a neighbour-search function to :data:`BACKENDS`."""
    def wrap(fn: Backend) -> Backend:
        BACKENDS[name] = fn
        return fn
    return wrap


def resolve_backend(name: str) -> Backend:
    """The backend called ``name`` (``faiss``, ``kdtree``, ``torch``)."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"could not resolve graph backend {name!r} among {sorted(BACKENDS)}") from None


def _select(dist2: np.ndarray, idx: np.ndarray, query_idx: np.ndarray, r: float, k: int):
    """Keep, per query row, the first ``k`` hits that are not the query itself and lie within ``r``.

    ``dist2`` and ``idx`` are sorted by distance along each row.
    """
    ok = (idx >= 0) & (idx != query_idx[:, None]) & (dist2 < r * r)
    ok &= np.cumsum(ok, axis=1) <= k
    rows, cols = np.nonzero(ok)
    return query_idx[rows], idx[rows, cols]


def _chunks(n: int, chunk_size: int | None):
    step = n if not chunk_size else max(1, int(chunk_size))
    for start in range(0, n, step):
        yield start, min(n, start + step)


def _concat(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return (np.concatenate([p[0] for p in parts]).astype(np.int64),
            np.concatenate([p[1] for p in parts]).astype(np.int64))


def _faiss():
    try:
        import faiss
    except ImportError:
        raise ImportError("the 'faiss' graph backend needs faiss: pip install faiss-cpu "
                          "(or faiss-gpu-cu12 for CUDA)") from None
    return faiss


@register_backend("faiss")
def faiss_flat(x, r: float, k: int, chunk_size: int | None = None, device: str = "cpu",
               threads: int | None = None):
    """Exact search with a FAISS flat L2 index (GPU index when ``device`` is CUDA and FAISS has GPUs).

    Parameters
    ----------
    x : ndarray or Tensor of shape (n, d), float
        Points (e.g. embedded hits).
    r : float
        Radius (same units as ``x``); FAISS works in squared distances.
    k : int
        Maximum neighbours per point.
    chunk_size : int, optional
        Queries per search call (bounds the result memory); default all at once.
    threads : int, optional
        OpenMP threads for the CPU index (default: ``torch.get_num_threads()``).

    Returns
    -------
    (src, dst) : ndarray of shape (n_pairs,), int64
        Query index and neighbour index of each pair.
    """
    import torch

    faiss = _faiss()
    points = _as_numpy(x)
    n, dim = points.shape
    use_gpu = str(device).startswith("cuda")
    if use_gpu and getattr(faiss, "get_num_gpus", lambda: 0)() == 0:
        warnings.warn("device is CUDA but this faiss has no GPU support (pip install faiss-gpu-cu12); "
                      "using the exact CPU flat index", RuntimeWarning, stacklevel=2)
        use_gpu = False
    if use_gpu:
        resources = faiss.StandardGpuResources()
        config = faiss.GpuIndexFlatConfig()
        config.device = torch.device(device).index or 0
        index = faiss.GpuIndexFlatL2(resources, dim, config)
    else:
        faiss.omp_set_num_threads(threads or torch.get_num_threads())
        index = faiss.IndexFlatL2(dim)
    index.add(points)
    kk = min(k + 1, n)
    parts = []
    for start, stop in _chunks(n, chunk_size):
        dist2, idx = index.search(points[start:stop], kk)
        parts.append(_select(dist2, idx, np.arange(start, stop), r, k))
    return _concat(parts)


@register_backend("kdtree")
def kdtree(x, r: float, k: int, chunk_size: int | None = None, device: str = "cpu",
           threads: int | None = None):
    """Exact search with ``scipy.spatial.cKDTree`` (CPU; fast in low dimensions).  See :func:`faiss_flat`."""
    import torch
    from scipy.spatial import cKDTree

    points = _as_numpy(x)
    n = len(points)
    tree = cKDTree(points)
    kk = min(k + 1, n)
    parts = []
    for start, stop in _chunks(n, chunk_size):
        dist, idx = tree.query(points[start:stop], k=kk, distance_upper_bound=r,
                               workers=threads or torch.get_num_threads())
        dist, idx = dist.reshape(stop - start, kk), idx.reshape(stop - start, kk)
        idx = np.where(idx >= n, -1, idx)
        parts.append(_select(dist * dist, idx, np.arange(start, stop), r, k))
    return _concat(parts)


@register_backend("torch")
def torch_blocked(x, r: float, k: int, chunk_size: int | None = None, device: str = "cpu",
                  threads: int | None = None):
    """Exact brute force with blocked ``torch.cdist`` + ``topk`` on any device.  See :func:`faiss_flat`.

    The block height is ``chunk_size`` or less, so that one block of the distance
    matrix stays under 256 MiB.
    """
    import torch

    points = torch.as_tensor(x, dtype=torch.float32).to(device)
    n = points.shape[0]
    budget = max(1, _BLOCK_BYTES // (4 * max(n, 1)))
    chunk_size = min(chunk_size, budget) if chunk_size else budget
    kk = min(k + 1, n)
    parts = []
    for start, stop in _chunks(n, chunk_size):
        dist = torch.cdist(points[start:stop], points)
        d, idx = torch.topk(dist, kk, dim=1, largest=False, sorted=True)
        d2 = (d * d).cpu().numpy()
        parts.append(_select(d2, idx.cpu().numpy(), np.arange(start, stop), r, k))
    return _concat(parts)


def _faiss_has_gpu() -> bool:
    try:
        import faiss
    except ImportError:
        return False
    return getattr(faiss, "get_num_gpus", lambda: 0)() > 0


@register_backend("auto")
def auto(x, r: float, k: int, chunk_size: int | None = None, device: str = "cpu",
         threads: int | None = None):
    """The fastest exact backend for ``device``: the FAISS GPU flat index on CUDA (blocked
    ``torch.cdist`` when FAISS has no GPU support), the KD-tree on CPU.

    On 2 CPU cores, 110k points in 8 dimensions: KD-tree ~1 s, FAISS flat ~15-60 s, with
    identical edges (``bench/graph_build.py``).  See :func:`faiss_flat`.
    """
    chosen = BACKENDS[resolved_backend_name("auto", device)]
    return chosen(x, r, k, chunk_size=chunk_size, device=device, threads=threads)


def resolved_backend_name(backend: str, device: str = "cpu") -> str:
    """The backend that ``backend`` runs on ``device``: ``auto`` becomes ``faiss`` (CUDA with
    FAISS GPU support), ``torch`` (CUDA without) or ``kdtree`` (CPU); other names are returned as is."""
    if backend != "auto":
        resolve_backend(backend)  # unknown names fail here, with the list of known ones
        return backend
    if str(device).startswith("cuda"):
        return "faiss" if _faiss_has_gpu() else "torch"
    return "kdtree"


def _as_numpy(x) -> np.ndarray:
    import torch

    if torch.is_tensor(x):
        x = x.detach().cpu().numpy()
    return np.ascontiguousarray(x, dtype=np.float32)


def knn_within_radius(x, r: float, k: int, backend: str = "faiss", chunk_size: int | None = None,
                      device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """Directed pairs (query → neighbour) from backend ``backend``; see :func:`faiss_flat`."""
    if r <= 0 or k < 1:
        raise ValueError(f"radius must be > 0 and k >= 1, got r={r}, k={k}")
    return resolve_backend(backend)(x, r, k, chunk_size=chunk_size, device=device)
