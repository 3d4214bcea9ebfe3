"""Analytic cost models of the chain's steps: FLOPs and compulsory bytes from the real modules and shapes.

The roofline runs the chain ``trackgnn reconstruct`` runs
(:class:`trackgnn.pipeline.InferenceChain`) and profiles each of its steps through the
chain's step hook; this module only says what each step costs.  A cost model is
``cost(step, input, output) -> Cost``, keyed by step name in :data:`STEP_COSTS`; it reads
the trained stage's public ``model`` and ``config`` (``step.owner``).
"""

from __future__ import annotations

from typing import Any, Callable

from trackgnn.profiling._counters import (
    Cost,
    count_connected_components,
    count_gather,
    count_knn,
    count_mlp,
    count_tree_knn,
    count_walkthrough,
    sum_costs,
)
from trackgnn.profiling._model_counts import count_edge_filter, count_embedding_net, count_interaction_gnn
from trackgnn.pipeline import SECOND_PASS_PREFIX, unprefixed_step
from trackgnn.stages import Step

__all__ = ["STEP_COSTS", "search_cost", "step_cost", "track_building_cost"]

#: Why the final extension's cost is a lower bound.
EXTENSION_NOTE = "final extension: helix fits and KD-tree queries not counted, only the labels and positions read"

#: Why preprocessing FLOPs are a lower bound.
PREPROCESSING_NOTE = "preprocessing: pandas work, FLOPs of r, phi, eta and cell features not counted"


def search_cost(backend: str, n: int, dim: int, k: int) -> Cost:
    """Cost of the radius-kNN search of ``n`` points in ``dim`` dimensions by the backend that ran.

    ``backend`` is a resolved name (:func:`trackgnn.graph.resolved_backend_name`):
    the brute-force backends (``faiss``, ``torch``) compute every pair's distance
    (:func:`count_knn`); the KD-tree prunes pairs, so only its provable work is counted
    (:func:`count_tree_knn`, ``k + 1`` candidates per query: the query itself and ``k``
    neighbours), flagged as a lower bound.
    """
    if backend == "kdtree":
        return count_tree_knn(n, n, dim, k + 1)
    return count_knn(n, n, dim, k)


def track_building_cost(method: str, n_nodes: int, n_edges: int, n_triplets: int) -> Cost:
    """The track builder ``method`` on a graph of ``n_nodes`` hits, ``n_edges`` edges and
    ``n_triplets`` scored triplets (integer work: bytes only)."""
    if method == "walkthrough":
        return count_walkthrough(n_nodes, n_edges, n_triplets)
    cost = count_connected_components(n_nodes, n_edges)
    if method != "connected_components":
        cost.name = f"{method}: connected-components traffic (N={n_nodes}, E={n_edges})"
        cost.lower_bound = f"{method}: only the graph traffic of connected components is counted"
    return cost


def _preprocessing(step: Step, frames: tuple, data: Any) -> Cost:
    read = sum(int(frame.memory_usage(index=False).sum()) for frame in frames if frame is not None)
    written = _tensor_bytes(data)
    return Cost(f"preprocessing ({int(data.num_nodes)} hits)", 0.0, float(read + written),
                lower_bound=PREPROCESSING_NOTE)


def _tensor_bytes(data: Any) -> int:
    return sum(value.numel() * value.element_size() for _, value in data.items() if hasattr(value, "numel"))


def _free_hits(step: Step, data: Any, out: Any) -> Cost:
    """The second pass's input: the hits without a track, gathered from the preprocessed event."""
    return Cost(f"free hits ({int(out.num_nodes)} of {int(data.num_nodes)})", 0.0,
                float(_tensor_bytes(data) + _tensor_bytes(out)))


def _final_extension(step: Step, item: tuple, labels: Any) -> Cost:
    """Helix fits and surface crossings of the tracks, a KD-tree query per crossing: labels and positions read."""
    _, hits = item
    n = int(hits.num_nodes)
    return Cost(f"final extension ({n} hits)", 0.0, float(n * (3 * 4 + 2 * 8)), lower_bound=EXTENSION_NOTE)


def _embedding(step: Step, data: Any, out: Any) -> Cost:
    return count_embedding_net(step.owner.model, int(out.embedding.shape[0]))


def _graph_building(step: Step, data: Any, out: Any) -> Cost:
    from trackgnn.graph import allowed_backend_name, resolved_backend_name

    graph = step.owner.config.graph
    n, dim = data.embedding.shape
    n_edges = int(out.edge_index.shape[1])
    dist = count_gather(n_edges, dim, name="gather pair") + count_gather(n_edges, dim, name="gather pair")
    dist.flops += 3.0 * dim * n_edges  # subtract, square, add per dimension
    if graph.search_k == "all":  # the k nearest allowed: the filter inside the search
        return search_cost(allowed_backend_name(graph.backend, step.owner.device), n, dim, graph.k) + dist
    k = graph.search_k or graph.k  # with a layer-pair map, search_k neighbours are searched, then filtered
    return search_cost(resolved_backend_name(graph.backend, step.owner.device), n, dim, k) + dist


def _filter(step: Step, data: Any, out: Any) -> Cost:
    return count_edge_filter(step.owner.model, int(data.edge_index.shape[1]), len(step.owner.config.node_features))


def _gnn(step: Step, data: Any, out: Any) -> Cost:
    """The interaction GNN on the scored graph plus the triplet head on the triplets it built."""
    network = step.owner.model
    n_nodes, n_edges = int(out.num_nodes), int(out.edge_index.shape[1])
    n_triplets = int(out.triplet_index.shape[1])
    parts = [count_interaction_gnn(network.gnn, n_nodes, n_edges)]
    head = network.triplet_head
    if head is not None and n_triplets:
        width = next(m for m in head.mlp.modules() if hasattr(m, "in_features")).in_features
        parts += [count_gather(n_triplets, width, name="triplet gathers + concat (geometry not counted)"),
                  count_mlp(head.mlp, n_triplets)]
    return sum_costs(f"gnn (N={n_nodes}, E={n_edges}, T={n_triplets})", parts)


def _track_building(step: Step, data: Any, out: Any) -> Cost:
    return track_building_cost(step.owner.config.tracking.method, int(data.num_nodes),
                               int(data.edge_index.shape[1]), int(data.triplet_index.shape[1]))


#: Step name → cost model ``(step, input, output) -> Cost``.
STEP_COSTS: dict[str, Callable[[Step, Any, Any], Cost]] = {
    "preprocessing": _preprocessing,
    "embedding": _embedding,
    "graph_building": _graph_building,
    "filter": _filter,
    "gnn": _gnn,
    "track_building": _track_building,
    f"{SECOND_PASS_PREFIX}preprocessing": _free_hits,
    "final_extension": _final_extension,
}


def step_cost(step: Step) -> Callable[[Any, Any], Cost]:
    """``cost(input, output)`` of ``step`` (a :class:`trackgnn.stages.Step`).

    Raises
    ------
    ValueError
        ``could not resolve 'x' among [...]`` for a step without a cost model.

    A later pass's steps (``pass2_``, ``pass3_``, ... + a step's name) cost what that step costs on
    their input.
    """
    model = STEP_COSTS.get(step.name, STEP_COSTS.get(unprefixed_step(step.name)))
    if model is None:
        raise ValueError(f"roofline cost model: could not resolve step {step.name!r} among {sorted(STEP_COSTS)}")
    return lambda data, out: model(step, data, out)
