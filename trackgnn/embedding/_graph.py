"""The embedding stage's graph: an exact radius graph among the hits' embeddings."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

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
    """

    r: float = 0.1
    k: int = 50
    backend: str = "auto"
    chunk_size: int | None = 20000

    def __post_init__(self) -> None:
        from trackgnn.graph import BACKENDS

        if self.r <= 0 or self.k < 1:
            raise ValueError(f"r must be > 0 and k >= 1, got r={self.r}, k={self.k}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend: could not resolve {self.backend!r} among {sorted(BACKENDS)}")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1 or null, got {self.chunk_size}")


def embedding_graph(embedding: Tensor, data, config: GraphConfig, device: str = "cpu") -> Tensor:
    """(2, E) edges, inner → outer hit (:func:`~trackgnn.embedding.hit_order_key`), joining hits of
    event ``data`` whose ``embedding`` (N, D) rows lie within ``config.r`` (at most ``config.k``
    neighbours per hit)."""
    from trackgnn.embedding._task import hit_order_key
    from trackgnn.graph import radius_graph

    return radius_graph(embedding, hit_order_key(data), config.r, config.k, backend=config.backend,
                        chunk_size=config.chunk_size, device=device)
