"""Filter-stage inputs made directly from simulated events (no embedding training)."""

from __future__ import annotations


def embedding_like_event(event_id: int, seed: int):
    """A low-pile-up event as the embedding stage hands it over: hits above 1 GeV, every truth
    edge plus random outward edges, ``y`` (same particle), ``edge_truth`` and ``edge_dist``."""
    from tests.gnn.conftest import filter_like_event
    from trackgnn.graph import truth_edge_mask

    data = filter_like_event(event_id, seed)
    del data.edge_score
    data.edge_truth = truth_edge_mask(data.edge_index, data.track_edges, int(data.num_nodes))[1]
    return data
