"""Roofline stages of the trained pipeline: embedding, graph building, filter, GNN, track building.

:func:`build_chain_stages` profiles :class:`trackgnn.pipeline.InferenceChain` (a GNN config);
:func:`build_stages` a chain of earlier stages (an embedding or filter config).

The filter and GNN stages run exactly as ``trackgnn infer`` runs them
(``load_inference(config)(prepare_event(config, event))``).  The embedding
stage holds two of the five steps the issue names, so it is split here into
the network and the radius graph, mirroring its ``load_inference``.  Each step
is paired with its analytic cost from :mod:`._model_counts` / :mod:`._counters`
(counted on the stage's own architecture, ``stage._model(config)``).
"""

from __future__ import annotations

from typing import Any

from trackgnn.errors import CheckpointError
from trackgnn.profiling._app import Stage
from trackgnn.profiling._counters import (
    Cost,
    count_connected_components,
    count_gather,
    count_knn,
    count_tree_knn,
)
from trackgnn.profiling._model_counts import count_embedding_net, count_interaction_gnn, count_model

__all__ = ["build_stages", "build_chain_stages", "search_cost", "select_hits"]


def select_hits(event, cuts, hard_cuts: bool) -> tuple[Any, str]:
    """``event`` restricted to the hits passing ``cuts`` (the stage's training hard cuts) when
    ``hard_cuts``, as ``trackgnn evaluate`` runs the chain, and a description of the hits kept."""
    from trackgnn.processing import apply_hard_cuts

    if not hard_cuts or cuts is None or not cuts.active:
        return event, "all hits"
    which = [f"pT >= {cuts.pt_min:g} GeV"] if cuts.pt_min > 0 else []
    which += ["noise removed"] if cuts.remove_noise else []
    which += [f">= {cuts.min_hits} hits per particle"] if cuts.min_hits > 0 else []
    which += [f"|eta| <= {cuts.eta_max:g}"] if cuts.eta_max is not None else []
    return apply_hard_cuts(event, cuts), "hard cuts: " + ", ".join(which)


def search_cost(backend: str, n: int, dim: int, k: int) -> Cost:
    """Cost of the radius-kNN search of ``n`` points in ``dim`` dimensions by the backend that ran.

    ``backend`` is a resolved name (:func:`trackgnn.graph._backends.resolved_backend_name`):
    the brute-force backends (``faiss``, ``torch``) compute every pair's distance
    (:func:`count_knn`); the KD-tree prunes pairs, so only its provable work is counted
    (:func:`count_tree_knn`, ``k + 1`` candidates per query: the query itself and ``k``
    neighbours), flagged as a lower bound.
    """
    if backend == "kdtree":
        return count_tree_knn(n, n, dim, k + 1)
    return count_knn(n, n, dim, k)


def _trained_model(stage, config, device: str):
    from trackgnn.training import load_model_state

    state = stage.best_checkpoint(config)
    model = stage._model(config)
    load_model_state(stage.checkpoint_dir(config) / "best.pt", model, state["model"])
    return model.to(device).eval()


def _first_event(stage, config, event_index: int):
    module = stage.data_module(config)
    for split in ("test", "val", "train"):
        files = module.files(split)
        if len(files) > event_index:
            return module.load(files[event_index]), files[event_index].stem
    raise CheckpointError(f"{config.config_path}: no event number {event_index} in any split of "
                          f"{config.input_dir}; run `{stage.producer(config)}`")


def _embedding_stages(stage, config, device: str) -> list[Stage]:
    from trackgnn.embedding._task import hit_order_key
    from trackgnn.graph import edge_labels, radius_graph
    from trackgnn.graph._backends import resolved_backend_name

    model = _trained_model(stage, config, device)
    g = config.graph

    def embed(data):
        data = stage.prepare_event(config, data)
        return data, model(data.x.to(device))  # as EmbeddingTask.build_graph

    def build(item):
        data, embedding = item
        edges = radius_graph(embedding, hit_order_key(data), g.r, g.k, backend=g.backend,
                             chunk_size=g.chunk_size, device=device)
        data.embedding = embedding.cpu()
        data.edge_index = edges
        data.y = edge_labels(edges, data.particle_id)
        data.edge_dist = (data.embedding[edges[0]] - data.embedding[edges[1]]).norm(dim=-1)
        return data

    def graph_cost(item, data) -> Cost:
        n, dim = item[1].shape
        n_edges = data.edge_index.shape[1]
        dist = count_gather(n_edges, dim, name="gather pair") + count_gather(n_edges, dim, name="gather pair")
        dist.flops += 3.0 * dim * n_edges  # subtract, square, add per dimension
        return search_cost(resolved_backend_name(g.backend, device), n, dim, g.k) + dist

    return [Stage("embedding", embed, lambda data, out: count_embedding_net(model, data.x.shape[0])),
            Stage("graph building", build, graph_cost)]


def _network_stage(name: str, stage, config, device: str, process=None) -> Stage:
    """A trained stage run exactly as ``trackgnn infer`` runs it: ``process(prepare_event(event))``."""
    process = process or stage.load_inference(config, device)
    structure = stage._model(config)  # same architecture, for the analytic count
    node_dim = len(config.node_features)

    def run(data):
        return process(stage.prepare_event(config, data))

    def cost(data, out) -> Cost:
        return count_model(structure, int(data.num_nodes), int(data.edge_index.shape[1]), node_dim)

    return Stage(name, run, cost)


def _track_stage(config) -> Stage:
    from trackgnn.tracking import ScoredGraph, build_tracks

    method = getattr(config, "track_builder", "connected_components")
    cut = getattr(config, "score_cut", 0.5)

    def run(data):
        graph = ScoredGraph(data.edge_index, data.edge_score, data.num_nodes)
        options = {"score_cut": cut} if method == "connected_components" else {}
        return build_tracks(graph, method, **options)

    return Stage("track building", run,
                 lambda data, labels: count_connected_components(data.num_nodes, data.edge_index.shape[1]))


def build_stages(chain: list[tuple[Any, Any]], device: str, event_index: int,
                 hard_cuts: bool = True) -> tuple[list[Stage], Any, str, str]:
    """Roofline stages for ``chain`` (from :func:`pipeline_chain`), the first input event, its name
    and which hits it holds (the first stage's hard cuts applied when ``hard_cuts``)."""
    builders = {"embedding": lambda s, c: _embedding_stages(s, c, device),
                "filter": lambda s, c: [_network_stage("filter", s, c, device)],
                "gnn": lambda s, c: [_network_stage("gnn", s, c, device)]}
    stages: list[Stage] = []
    for stage, config in chain:
        if stage.name not in builders:
            raise CheckpointError(f"{config.config_path}: the roofline cannot profile stage {stage.name!r}; "
                                  f"it knows {sorted(builders)}")
        stages += builders[stage.name](stage, config)
    stages.append(_track_stage(chain[-1][1]))
    first_stage, first_config = chain[0]
    event, name = _first_event(first_stage, first_config, event_index)
    event, hits = select_hits(event, getattr(first_config, "hard_cuts", None), hard_cuts)
    return stages, event, name, hits


def _gnn_cost(process, prepared, n_triplets: int) -> Cost:
    """The GNN stage's network: interaction GNN on the graph plus the triplet head on ``n_triplets``."""
    from trackgnn.profiling._counters import count_mlp, sum_costs

    network = process.model
    n_nodes, n_edges = int(prepared.num_nodes), int(prepared.edge_index.shape[1])
    parts = [count_interaction_gnn(network.gnn, n_nodes, n_edges)]
    head = getattr(network, "triplet_head", None)
    if head is not None and n_triplets:
        width = next(m for m in head.mlp.modules() if hasattr(m, "in_features")).in_features
        gathers = count_gather(n_triplets, width, name="triplet gathers + concat (geometry not counted)")
        parts += [gathers, count_mlp(head.mlp, n_triplets)]
    return sum_costs(f"gnn (N={n_nodes}, E={n_edges}, T={n_triplets})", parts)


def _chain_gnn_stages(stage, config, process) -> list[Stage]:
    """``GNNInference`` split as its ``run`` splits its timing: scores ("gnn"), then tracks."""

    def score(data):
        prepared = stage.prepare_event(config, data)
        return (prepared, *process.scores(prepared))

    def tracks(item):
        return process.tracks(*item)

    def track_cost(item, labels) -> Cost:
        return count_connected_components(int(item[0].num_nodes), int(item[0].edge_index.shape[1]))

    return [Stage("gnn", score, lambda data, out: _gnn_cost(process, out[0], int(out[2].shape[1]))),
            Stage("track building", tracks, track_cost)]


def build_chain_stages(config_path, device: str, event_index: int,
                       hard_cuts: bool = True) -> tuple[list[Stage], Any, str, str]:
    """Roofline stages of :class:`trackgnn.pipeline.InferenceChain` (what ``trackgnn reconstruct`` runs).

    The input is held-out test event ``event_index`` of the chain, preprocessed as the chain
    preprocesses raw hits and, when ``hard_cuts``, restricted to the hits passing the chain's
    training hard cuts (as ``trackgnn evaluate`` runs it; ``reconstruct`` keeps every hit).
    Also returns the event name and which hits it holds.
    """
    from trackgnn.pipeline import InferenceChain, default_test_events, iter_raw_events
    from trackgnn.processing import process_event
    from trackgnn.training import resolve_device

    chain = InferenceChain(config_path, device=device)  # CheckpointError names the train command
    device = resolve_device(device)
    raw_dir, ids = default_test_events(chain)
    if event_index >= len(ids):
        raise CheckpointError(f"--event {event_index}: the chain has {len(ids)} held-out test events in {raw_dir}")
    event_id, hits, cells, particles, truth = next(iter(iter_raw_events(raw_dir, [ids[event_index]])))
    event, selection = select_hits(process_event(event_id, hits, cells, particles, truth), chain.hard_cuts,
                                   hard_cuts)
    stages: list[Stage] = []
    for name, stage, config, process in chain.processes:
        if name == "embedding":
            stages += _embedding_stages(stage, config, device)
        elif name == "gnn":
            stages += _chain_gnn_stages(stage, config, process)
        else:
            stages.append(_network_stage(name, stage, config, device, process))
    return stages, event, f"event{event_id:09d}", selection
