"""The embedding stage's graph: an exact radius graph among the hits' embeddings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

from torch import Tensor

from trackgnn.config import check_sizes

__all__ = ["GraphConfig", "embedding_graph"]


@dataclass
class GraphConfig:
    """Radius graph in embedding space (see :func:`trackgnn.graph.radius_graph`).

    Attributes
    ----------
    r : float
        Radius in embedding units.
    k : int
        Maximum neighbours per hit.
    backend : str
        ``auto`` (KD-tree on CPU, FAISS GPU flat index on CUDA), ``faiss`` (flat index;
        GPU when CUDA), ``kdtree`` or ``torch``; all exact, identical edges.
    chunk_size : int or None
        Queries per search call (bounds memory on full events).
    search_k : int, 'all' or None
        With a value, each hit keeps its first ``k`` neighbours on detector layer pairs that hold
        truth edges in the training events (the embedding's :class:`trackgnn.graph.LayerPairMap`)
        among the ``search_k`` nearest; ``all``: among every hit within ``r``, the pairs filtered
        inside the search (``kdtree`` on CPU, ``torch`` on CUDA; not ``faiss``), which is also
        the fastest on CPU; null: the plain ``k`` nearest.
    """

    r: float = 0.1
    k: int = 50
    backend: str = "auto"
    chunk_size: int | None = 20000
    search_k: int | Literal["all"] | None = None

    def __post_init__(self) -> None:
        from trackgnn.graph import BACKENDS

        if self.r <= 0 or self.k < 1:
            raise ValueError(f"r must be > 0 and k >= 1, got r={self.r}, k={self.k}")
        check_sizes("neighbours", k=self.k)
        if self.backend not in BACKENDS:
            raise ValueError(f"backend: could not resolve {self.backend!r} among {sorted(BACKENDS)}")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1 or null, got {self.chunk_size}")
        if self.search_k == "all":
            from trackgnn.graph import ALLOWED_SEARCH_BACKENDS

            if self.backend not in ("auto", *ALLOWED_SEARCH_BACKENDS):
                raise ValueError(f"search_k 'all' filters layer pairs inside the search, which backend "
                                 f"{self.backend!r} cannot: use auto, {' or '.join(ALLOWED_SEARCH_BACKENDS)}")
        elif self.search_k is not None and self.search_k < self.k:
            raise ValueError(f"search_k must be >= k ({self.k}), 'all' or null, got {self.search_k}")


def embedding_graph(embedding: Tensor, data, config: GraphConfig, device: str = "cpu",
                    layer_pairs=None, fused: bool = True) -> Tensor:
    """(2, E) edges, inner → outer hit (:func:`~trackgnn.embedding.hit_order_key`), joining hits of
    event ``data`` whose ``embedding`` (N, D) rows lie within ``config.r`` (at most ``config.k``
    neighbours per hit).  With ``config.search_k``, only pairs of detector layers that
    ``layer_pairs`` (:class:`trackgnn.graph.LayerPairMap`, the embedding network's) allows count
    (:meth:`~trackgnn.graph.LayerPairMap.pair_filter`, applied in the compiled selection).
    ``fused=False``: the NumPy reference path (``LayerPairMap.allowed`` on every candidate pair),
    identical edges (``bench/graph_step.py``).
    """
    from trackgnn.embedding._task import hit_order_key
    from trackgnn.graph import radius_graph

    use_map = config.search_k is not None and layer_pairs is not None
    keep = None
    if use_map:
        keep = layer_pairs.pair_filter(data.layer) if fused else partial(layer_pairs.allowed, data.layer)
    return radius_graph(embedding, hit_order_key(data), config.r, config.k, backend=config.backend,
                        chunk_size=config.chunk_size, device=device, keep=keep, search_k=config.search_k,
                        fused=fused)
