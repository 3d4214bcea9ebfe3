"""Exact analytic FLOP and byte counts for the pipeline's kernels.

Conventions
-----------
* A fused multiply-add is 2 FLOPs; an add, multiply, subtract, compare or max
  is 1 FLOP.  A matmul ``(n, k) @ (k, m)`` is ``2 n k m`` FLOPs.
* Transcendentals count as listed in :data:`ACTIVATION_FLOPS` (exp = 1):
  ReLU 1 (max), Sigmoid 3 (exp, add, divide), SiLU 4 (sigmoid, multiply),
  Tanh 3, GELU 8, LeakyReLU 2.  LayerNorm is 8 FLOPs per element (mean 1,
  variance 3, normalise 2, affine FMA 2); BatchNorm at inference 2 (one FMA).
* Bytes are *compulsory* traffic: every input tensor read once, every output
  written once, parameters read once, indices read once (int64 = 8 bytes).
  Caches can only reduce real traffic below a re-read pattern, never below
  this; it is the DRAM (HBM) traffic of a perfectly fused kernel.
* Integer work (connected components, sorting) counts 0 FLOPs but its bytes.

``torch.utils.flop_counter`` sees only the matmuls (``2 n k m``); these
counters add bias adds, activations, normalisation, gathers, scatter-adds and
distance computations, which is where message passing and graph building
spend most of their memory traffic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ACTIVATION_FLOPS",
    "Cost",
    "count_matmul",
    "count_linear",
    "count_mlp",
    "count_elementwise",
    "count_gather",
    "count_scatter_add",
    "count_message_passing",
    "count_knn",
    "count_tree_knn",
    "count_connected_components",
    "count_walkthrough",
    "sum_costs",
]

ACTIVATION_FLOPS = {"ReLU": 1, "Sigmoid": 3, "SiLU": 4, "Tanh": 3, "GELU": 8, "LeakyReLU": 2, "ELU": 3}
INDEX_BYTES = 8


@dataclass
class Cost:
    """FLOPs and compulsory bytes of one kernel or a sum of kernels.

    ``matmul_flops`` is the part a matrix unit (GEMM) can execute; ``parts``
    keeps the named components of a sum.  ``lower_bound`` is empty for an exact
    count, else why the FLOPs are only a lower bound (e.g. a tree search, whose
    visited nodes depend on the data); it propagates to sums.
    """

    name: str
    flops: float = 0.0
    bytes: float = 0.0
    matmul_flops: float = 0.0
    parts: list["Cost"] = field(default_factory=list)
    lower_bound: str = ""

    @property
    def intensity(self) -> float:
        """Arithmetic intensity, FLOPs per byte."""
        return self.flops / self.bytes if self.bytes else float("inf")

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(
            name=self.name,
            flops=self.flops + other.flops,
            bytes=self.bytes + other.bytes,
            matmul_flops=self.matmul_flops + other.matmul_flops,
            parts=[*(self.parts or [self]), *(other.parts or [other])],
            lower_bound=_join_notes([self, other]),
        )

    def scaled(self, times: int, name: str | None = None) -> "Cost":
        """This cost repeated ``times`` times (e.g. message-passing iterations)."""
        return Cost(name or self.name, self.flops * times, self.bytes * times, self.matmul_flops * times,
                    [p.scaled(times) for p in self.parts], self.lower_bound)

    def to_dict(self) -> dict:
        return {"name": self.name, "flops": self.flops, "bytes": self.bytes,
                "matmul_flops": self.matmul_flops, "intensity": self.intensity,
                "lower_bound": self.lower_bound or None, "parts": [p.to_dict() for p in self.parts]}


def _join_notes(costs: list[Cost]) -> str:
    """The distinct ``lower_bound`` notes of ``costs``, in order, joined by "; "."""
    notes = [c.lower_bound for c in costs if c.lower_bound]
    return "; ".join(dict.fromkeys(notes))


def sum_costs(name: str, costs: list[Cost]) -> Cost:
    """One :class:`Cost` named ``name`` totalling ``costs`` (kept as its ``parts``)."""
    total = Cost(name)
    for c in costs:
        total.flops += c.flops
        total.bytes += c.bytes
        total.matmul_flops += c.matmul_flops
    total.parts = list(costs)
    total.lower_bound = _join_notes(total.parts)
    return total


def count_matmul(n: int, k: int, m: int, itemsize: int = 4, name: str = "matmul") -> Cost:
    """``(n, k) @ (k, m)``: ``2 n k m`` FLOPs; reads both operands, writes ``(n, m)``."""
    flops = 2.0 * n * k * m
    return Cost(name, flops, float(itemsize * (n * k + k * m + n * m)), flops)


def count_linear(module, n_rows: int, itemsize: int = 4) -> Cost:
    """``nn.Linear`` on ``n_rows`` rows: matmul plus one add per output for the bias."""
    mm = count_matmul(n_rows, module.in_features, module.out_features, itemsize, "linear")
    bias = module.bias is not None
    return Cost(
        f"Linear({module.in_features}->{module.out_features})",
        mm.flops + (n_rows * module.out_features if bias else 0),
        mm.bytes + (itemsize * module.out_features if bias else 0),
        mm.flops,
    )


def count_elementwise(n_elements: int, flops_per_element: float, n_inputs: int = 1, n_outputs: int = 1,
                      itemsize: int = 4, name: str = "elementwise") -> Cost:
    """A map over ``n_elements``: reads ``n_inputs`` and writes ``n_outputs`` tensors of that size."""
    return Cost(name, float(n_elements * flops_per_element), float(itemsize * n_elements * (n_inputs + n_outputs)))


def count_mlp(module, n_rows: int, itemsize: int = 4) -> Cost:
    """Every leaf of ``module`` in registration order, applied to ``n_rows`` rows.

    Linear layers, activations (:data:`ACTIVATION_FLOPS`), LayerNorm and
    BatchNorm1d are counted; Dropout and Identity are free at inference.
    Any other leaf raises ``ValueError`` naming it, so a count is never silently short.
    """
    import torch.nn as nn

    costs: list[Cost] = []
    width = None
    for leaf in (m for m in module.modules() if not list(m.children())):
        kind = type(leaf).__name__
        if isinstance(leaf, nn.Linear):
            costs.append(count_linear(leaf, n_rows, itemsize))
            width = leaf.out_features
        elif kind in ACTIVATION_FLOPS:
            costs.append(count_elementwise(n_rows * width, ACTIVATION_FLOPS[kind], itemsize=itemsize, name=kind))
        elif isinstance(leaf, nn.LayerNorm):
            c = count_elementwise(n_rows * width, 8, itemsize=itemsize, name="LayerNorm")
            c.bytes += itemsize * 2 * width
            costs.append(c)
        elif isinstance(leaf, (nn.BatchNorm1d,)):
            c = count_elementwise(n_rows * width, 2, itemsize=itemsize, name="BatchNorm1d")
            c.bytes += itemsize * 4 * width
            costs.append(c)
        elif isinstance(leaf, (nn.Dropout, nn.Identity)):
            continue
        else:
            raise ValueError(f"count_mlp: no FLOP rule for layer {kind} in {type(module).__name__}")
    return sum_costs(f"MLP[{type(module).__name__}] x {n_rows}", costs)


def count_gather(n_rows: int, dim: int, itemsize: int = 4, name: str = "gather") -> Cost:
    """``x[index]`` of ``n_rows`` rows of width ``dim``: reads index and rows, writes the result."""
    return Cost(name, 0.0, float(n_rows * (INDEX_BYTES + 2 * dim * itemsize)))


def count_scatter_add(n_rows: int, n_out: int, dim: int, itemsize: int = 4, name: str = "scatter_add") -> Cost:
    """Sum ``n_rows`` rows into ``n_out`` rows: one add per element; reads rows + index, writes output."""
    return Cost(name, float(n_rows * dim), float(n_rows * (INDEX_BYTES + dim * itemsize) + n_out * dim * itemsize))


def count_message_passing(n_nodes: int, n_edges: int, node_dim: int, edge_dim: int = 0, *,
                          edge_mlp=None, node_mlp=None, message_dim: int | None = None,
                          itemsize: int = 4) -> Cost:
    """One Interaction-Network step on a graph.

    gather ``x_i`` and ``x_j`` (``2 E x node_dim``), edge MLP on ``[x_i, x_j, e]``
    (``E`` rows), scatter-add of the messages to the target nodes, node MLP on
    ``[x, aggregated]`` (``N`` rows).  ``message_dim`` defaults to the edge
    MLP's output width (or ``node_dim`` without one).
    """
    costs = [count_gather(n_edges, node_dim, itemsize, "gather x_i"),
             count_gather(n_edges, node_dim, itemsize, "gather x_j")]
    if edge_mlp is not None:
        costs.append(count_mlp(edge_mlp, n_edges, itemsize))
        if message_dim is None:
            message_dim = [m for m in edge_mlp.modules() if hasattr(m, "out_features")][-1].out_features
    message_dim = message_dim or node_dim
    costs.append(count_scatter_add(n_edges, n_nodes, message_dim, itemsize))
    if node_mlp is not None:
        costs.append(count_mlp(node_mlp, n_nodes, itemsize))
    return sum_costs(f"message passing (N={n_nodes}, E={n_edges})", costs)


def count_knn(n_queries: int, n_base: int, dim: int, k: int, itemsize: int = 4) -> Cost:
    """Exact (brute-force) k-nearest-neighbour search in squared L2, as FAISS ``IndexFlatL2`` does it.

    Per pair ``|q|^2 + |b|^2 - 2 q.b``: ``2 dim`` FLOPs for the dot product (a
    GEMM) plus 2 adds, plus 1 compare against the running top-k; norms cost
    ``2 dim`` per vector.  Bytes: both point sets read once, ``k`` (distance,
    int64 id) pairs written per query.
    """
    gemm = 2.0 * n_queries * n_base * dim
    flops = gemm + 3.0 * n_queries * n_base + 2.0 * dim * (n_queries + n_base)
    nbytes = itemsize * dim * (n_queries + n_base) + n_queries * k * (itemsize + INDEX_BYTES)
    return Cost(f"kNN (Q={n_queries}, B={n_base}, d={dim}, k={k})", flops, float(nbytes), gemm)


TREE_SEARCH_NOTE = "tree search: FLOPs are a lower bound"


def count_tree_knn(n_queries: int, n_base: int, dim: int, k: int, itemsize: int = 4) -> Cost:
    """Lower bound of a KD-tree k-nearest-neighbour search (``scipy.spatial.cKDTree.query``, :func:`trackgnn.graph.allowed_neighbours`).

    The nodes a tree search visits depend on the data, so only the work that is
    provably done is counted: the distance to each of the ``k`` returned candidates
    (``k`` counts the query itself when the search asks for ``k + 1``), ``3 dim``
    FLOPs each (subtract, square, add), and the compulsory bytes: the base points
    (tree build) and the queries read once, ``k`` (distance, int64 id) pairs written
    per query.  The real search computes more distances (bounding-box tests, leaf
    scans) and reads tree nodes, so the FLOPs are a lower bound (``lower_bound`` says so).
    """
    flops = 3.0 * dim * n_queries * k
    nbytes = itemsize * dim * (n_queries + n_base) + n_queries * k * (itemsize + INDEX_BYTES)
    return Cost(f"KD-tree kNN lower bound (Q={n_queries}, B={n_base}, d={dim}, k={k})", flops, float(nbytes),
                0.0, lower_bound=TREE_SEARCH_NOTE)


def count_connected_components(n_nodes: int, n_edges: int) -> Cost:
    """Connected components of an ``n_edges`` graph: no FLOPs; reads edges, builds CSR, writes labels.

    Compulsory traffic: the edge list (``2 E`` indices) read, a CSR adjacency
    (``N + 1`` offsets and ``2 E`` neighbours, undirected) written and read back,
    one label per node written.
    """
    nbytes = INDEX_BYTES * (2 * n_edges + 2 * (n_nodes + 1 + 2 * n_edges) + n_nodes)
    return Cost(f"connected components (N={n_nodes}, E={n_edges})", 0.0, float(nbytes))


def count_walkthrough(n_nodes: int, n_edges: int, n_triplets: int) -> Cost:
    """The walk-through track builder: no FLOPs; reads the scored edges and triplets, builds CSR views.

    Compulsory traffic: the edge list (``2 E`` indices) and scores (``E`` float32) read; an
    outgoing and an incoming CSR adjacency (``N + 1`` offsets and ``E`` neighbours each)
    written and read back; the triplets (``2 T`` indices, ``T`` float32 scores) read and a
    CSR over their incoming edge (``E + 1`` offsets, ``T`` entries) written and read back;
    one label per node written.
    """
    index = 2 * n_edges + 2 * 2 * (n_nodes + 1 + n_edges) + 2 * n_triplets + 2 * (n_edges + 1 + n_triplets) + n_nodes
    nbytes = INDEX_BYTES * index + 4 * (n_edges + n_triplets)
    return Cost(f"walk-through (N={n_nodes}, E={n_edges}, T={n_triplets})", 0.0, float(nbytes))
