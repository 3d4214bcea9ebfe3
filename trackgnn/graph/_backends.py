"""Exact fixed-radius k-nearest-neighbour search backends, selected by name.

Every backend answers the same question: for each point ``i``, the (at most)
``k`` nearest other points ``j`` with ``|x_i - x_j| < r``.  Results agree across
backends up to float rounding at the radius and ties at the k-th distance.

A backend only searches: it yields :class:`NeighbourBlock` rows of nearest points, and
:func:`select_pairs` (one compiled pass per block, :mod:`trackgnn.graph._select`) drops the
query itself, the points beyond ``r`` and, with a :class:`~trackgnn.graph.PairFilter`, the
disallowed layer pairs, keeping the first ``k`` per query.
"""

from __future__ import annotations

import warnings
from typing import Callable, Iterator, NamedTuple

import numpy as np

from trackgnn.graph._select import select_neighbours

__all__ = ["BACKENDS", "NeighbourBlock", "register_backend", "resolve_backend", "resolved_backend_name",
           "knn_within_radius", "neighbour_blocks", "select_pairs"]


class NeighbourBlock(NamedTuple):
    """The nearest points of a block of query points, as a backend's search returns them.

    Attributes
    ----------
    queries : ndarray of shape (m,), int64
        Point index of each row.
    dist : ndarray of shape (m, kk), float
        Distances (squared when ``squared``) of each row's neighbours, nearest first.
    idx : ndarray of shape (m, kk), int64
        Their point indices; < 0 or >= ``n`` where a row has fewer neighbours.
    n : int
        Number of points.
    squared : bool
    """

    queries: np.ndarray
    dist: np.ndarray
    idx: np.ndarray
    n: int
    squared: bool


#: ``search(points, r, kk, chunk_size, device, threads) -> Iterator[NeighbourBlock]``: the ``kk``
#: nearest points (the query itself included) of every point, ``chunk_size`` queries a block; a
#: search may leave out the neighbours at distance ``r`` or more.
Backend = Callable[..., Iterator[NeighbourBlock]]
BACKENDS: dict[str, Backend] = {}

#: Bytes of distance matrix a brute-force query block may use.
_BLOCK_BYTES = 256 * 2**20


def register_backend(name: str) -> Callable[[Backend], Backend]:
    """Decorator adding a neighbour search (see :data:`Backend`) to :data:`BACKENDS`."""
    def wrap(fn: Backend) -> Backend:
        BACKENDS[name] = fn
        return fn
    return wrap


def resolve_backend(name: str) -> Backend:
    """The backend called ``name`` (``auto``, ``faiss``, ``kdtree``, ``torch``)."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"could not resolve graph backend {name!r} among {sorted(BACKENDS)}") from None


def select_pairs(block: NeighbourBlock, r: float, k: int, search_k: int | None = None,
                 pair_filter=None) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``block``, the first ``k`` of its first ``search_k`` (default ``k``) neighbours
    that are not the query itself and lie within ``r``, counting only the pairs ``pair_filter``
    (:class:`trackgnn.graph.PairFilter`) allows; one compiled pass (:func:`select_neighbours`)."""
    rows, table = (None, None) if pair_filter is None else (pair_filter.rows, pair_filter.table)
    return select_neighbours(block.dist, block.idx, block.queries, block.n, r * r, not block.squared, k,
                             search_k, rows, table)


def _select_reference(block: NeighbourBlock, r: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """NumPy reference of :func:`select_pairs` without filter (``knn_within_radius(..., fused=False)``)."""
    dist2 = block.dist if block.squared else block.dist * block.dist
    idx = np.where(block.idx >= block.n, -1, block.idx)
    ok = (idx >= 0) & (idx != block.queries[:, None]) & (dist2 < r * r)
    ok &= np.cumsum(ok, axis=1) <= k
    rows, cols = np.nonzero(ok)
    return block.queries[rows], idx[rows, cols]


def _block_rows(n: int, chunk_size: int | None) -> int:
    """Query rows per block of an (rows, ``n``) float32 distance matrix: ``chunk_size`` or fewer, so
    that one block stays under :data:`_BLOCK_BYTES`."""
    budget = max(1, _BLOCK_BYTES // (4 * max(n, 1)))
    return min(chunk_size, budget) if chunk_size else budget


def _chunks(n: int, chunk_size: int | None) -> Iterator[tuple[int, int]]:
    step = n if not chunk_size else max(1, int(chunk_size))
    for start in range(0, n, step):
        yield start, min(n, start + step)


def _concat(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return (np.concatenate([p[0] for p in parts]).astype(np.int64, copy=False),
            np.concatenate([p[1] for p in parts]).astype(np.int64, copy=False))


def _faiss():
    try:
        import faiss
    except ImportError:
        raise ImportError("the 'faiss' graph backend needs faiss: pip install faiss-cpu "
                          "(or faiss-gpu-cu12 for CUDA)") from None
    return faiss


@register_backend("faiss")
def faiss_flat(x, r: float, kk: int, chunk_size: int | None = None, device: str = "cpu",
               threads: int | None = None) -> Iterator[NeighbourBlock]:
    """Exact search with a FAISS flat L2 index (GPU index when ``device`` is CUDA and FAISS has GPUs).

    Parameters
    ----------
    x : ndarray or Tensor of shape (n, d), float
        Points (e.g. embedded hits).
    r : float
        Radius (same units as ``x``); unused, FAISS returns the ``kk`` nearest at any distance.
    kk : int
        Neighbours per query (the query itself included), at most ``n``.
    chunk_size : int, optional
        Queries per search call (bounds the result memory); default all at once.
    threads : int, optional
        OpenMP threads for the CPU index (default: ``torch.get_num_threads()``).

    Yields
    ------
    NeighbourBlock
        Squared distances (FAISS works in squared distances).
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
    for start, stop in _chunks(n, chunk_size):
        dist2, idx = index.search(points[start:stop], kk)
        yield NeighbourBlock(np.arange(start, stop), dist2, idx, n, True)


@register_backend("kdtree")
def kdtree(x, r: float, kk: int, chunk_size: int | None = None, device: str = "cpu",
           threads: int | None = None) -> Iterator[NeighbourBlock]:
    """Exact search with ``scipy.spatial.cKDTree`` (CPU; fast in low dimensions).  See :func:`faiss_flat`.

    Yields distances (float64, not squared); a missing neighbour has index ``n``.  The tree
    searches every query's ``kk`` nearest within ``r`` (``distance_upper_bound``).
    """
    import torch
    from scipy.spatial import cKDTree

    points = _as_numpy(x)
    n = len(points)
    tree = cKDTree(points)
    for start, stop in _chunks(n, chunk_size):
        dist, idx = tree.query(points[start:stop], k=kk, distance_upper_bound=r,
                               workers=threads or torch.get_num_threads())
        yield NeighbourBlock(np.arange(start, stop), dist.reshape(stop - start, kk),
                             idx.reshape(stop - start, kk), n, False)


@register_backend("torch")
def torch_blocked(x, r: float, kk: int, chunk_size: int | None = None, device: str = "cpu",
                  threads: int | None = None) -> Iterator[NeighbourBlock]:
    """Exact brute force with blocked ``torch.cdist`` + ``topk`` on any device.  See :func:`faiss_flat`.

    Yields squared distances (float32).  The block height is ``chunk_size`` or less, so that
    one block of the distance matrix stays under 256 MiB.
    """
    import torch

    points = torch.as_tensor(x, dtype=torch.float32).to(device)
    n = points.shape[0]
    for start, stop in _chunks(n, _block_rows(n, chunk_size)):
        dist = torch.cdist(points[start:stop], points)
        d, idx = torch.topk(dist, kk, dim=1, largest=False, sorted=True)
        yield NeighbourBlock(np.arange(start, stop), (d * d).cpu().numpy(), idx.cpu().numpy(), n, True)


def _faiss_has_gpu() -> bool:
    try:
        import faiss
    except ImportError:
        return False
    return getattr(faiss, "get_num_gpus", lambda: 0)() > 0


@register_backend("auto")
def auto(x, r: float, kk: int, chunk_size: int | None = None, device: str = "cpu",
         threads: int | None = None) -> Iterator[NeighbourBlock]:
    """The fastest exact backend for ``device``: the FAISS GPU flat index on CUDA (blocked
    ``torch.cdist`` when FAISS has no GPU support), the KD-tree on CPU.

    On 2 CPU cores, 110k points in 8 dimensions: KD-tree ~1 s, FAISS flat ~15-60 s, with
    identical edges (``bench/graph_build.py``).  See :func:`faiss_flat`.
    """
    chosen = BACKENDS[resolved_backend_name("auto", device)]
    return chosen(x, r, kk, chunk_size=chunk_size, device=device, threads=threads)


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


def neighbour_blocks(x, r: float, kk: int, backend: str = "faiss", chunk_size: int | None = None,
                     device: str = "cpu") -> Iterator[NeighbourBlock]:
    """The ``kk`` nearest points (the query itself included) of every point of ``x`` (n, d), block
    after block, from backend ``backend``; ``kk`` is capped at ``n``.  See :func:`faiss_flat`."""
    n = len(x)
    if n == 0:
        return iter(())
    return resolve_backend(backend)(x, r, min(kk, n), chunk_size=chunk_size, device=device)


def knn_within_radius(x, r: float, k: int, backend: str = "faiss", chunk_size: int | None = None,
                      device: str = "cpu", *, search_k: int | None = None, pair_filter=None,
                      fused: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Directed pairs (query → neighbour): each point's ``k`` nearest others within ``r``.

    Parameters
    ----------
    x : ndarray or Tensor of shape (n, d), float
    r : float
    k : int
    backend : str
        Name in :data:`BACKENDS`; see :func:`faiss_flat`.
    chunk_size : int, optional
        Queries per search call.
    device : str
    search_k : int, optional
        Neighbours searched per point (default ``k``); of them, the first ``k`` that
        ``pair_filter`` allows are kept (see :func:`select_pairs`).
    pair_filter : PairFilter, optional
    fused : bool
        Select with the compiled kernel (default); ``False``: the NumPy reference (no
        ``search_k``, no ``pair_filter``), for benchmarks and tests.

    Returns
    -------
    (src, dst) : ndarray of shape (n_pairs,), int64
        Query index and neighbour index of each pair, query after query, nearest first.
    """
    search_k = k if search_k is None else max(k, search_k)
    if r <= 0 or k < 1:
        raise ValueError(f"radius must be > 0 and k >= 1, got r={r}, k={k}")
    if not fused and (search_k != k or pair_filter is not None):
        raise ValueError("the NumPy reference selection takes no search_k and no pair_filter")
    parts = []
    for block in neighbour_blocks(x, r, search_k + 1, backend, chunk_size, device):
        if fused:
            parts.append(select_pairs(block, r, k, search_k, pair_filter))
        else:
            parts.append(_select_reference(block, r, k))
    return _concat(parts)
