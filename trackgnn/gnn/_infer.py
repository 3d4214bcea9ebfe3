"""Inference of a trained GNN stage on one event: edge and triplet scores, then tracks."""

from __future__ import annotations

from typing import Any, Callable

import torch

from trackgnn.gnn._config import GNNStageConfig
from trackgnn.geometry import hit_positions
from trackgnn.gnn._inputs import edge_feature_matrix
from trackgnn.gnn._network import EdgeTripletNetwork
from trackgnn.stages import shallow_copy

__all__ = ["gnn_scores", "gnn_steps"]


@torch.no_grad()
def gnn_scores(model: EdgeTripletNetwork, config: GNNStageConfig, data,
               device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(E,) edge scores, (2, T) triplets and (T,) triplet scores of prepared event ``data``
    (all on the CPU; empty without edges or without a triplet head)."""
    edge_index = data.edge_index
    if edge_index.shape[1] == 0:
        return torch.zeros(0), torch.zeros((2, 0), dtype=torch.long), torch.zeros(0)
    edge_attr = edge_feature_matrix(data, edge_index, config.model.edge_features)
    out = model(
        data.x.to(device),
        edge_index.to(device),
        None if edge_attr is None else edge_attr.to(device),
        hit_positions(data).to(device) if config.triplets.enabled else None,
    )
    # float32 whatever the autocast precision: track builders read the scores as NumPy
    return (torch.sigmoid(out.edge_logits).float().cpu(), out.triplets.cpu(),
            torch.sigmoid(out.triplet_logits).float().cpu())


def gnn_steps(config: GNNStageConfig, model: EdgeTripletNetwork, device: str = "cpu",
              selection: Callable[..., Any] | None = None) -> list[tuple[str, Callable[[Any], Any]]]:
    """The GNN stage's inference steps (see :class:`~trackgnn.gnn.GNNStage` for the outputs).

    ``gnn``: edge scores (the filter's kept as ``edge_filter_score``), ``edge_kept``,
    triplets and their scores; ``track_building``: ``track_label`` per hit from the
    configured builder (``tracking``), then ``selection(labels, graph, layers)`` when given
    (:class:`~trackgnn.gnn.TrackSelection`: the tracks it drops lose their hits).
    """
    builder = config.tracking.builder()

    def score(data: Any) -> Any:
        scores, triplets, triplet_scores = gnn_scores(model, config, data, device)
        out = shallow_copy(data)
        if "edge_score" in data:
            out.edge_filter_score = data.edge_score
        out.edge_score = scores
        out.edge_kept = scores > config.score_cut
        out.triplet_index = triplets
        out.triplet_score = triplet_scores
        if "x" in out:
            del out.x
        return out

    def build_tracks(data: Any) -> Any:
        from trackgnn.geometry import hit_positions
        from trackgnn.tracking import ScoredGraph

        has_triplets = data.triplet_index.shape[1] > 0
        graph = ScoredGraph(
            data.edge_index, data.edge_score, int(data.num_nodes),
            triplets=data.triplet_index if has_triplets else None,
            triplet_scores=data.triplet_score if has_triplets else None,
            embedding=data.embedding if "embedding" in data else None,
            positions=hit_positions(data),
        )
        labels = builder(graph)
        if selection is not None:
            labels = selection(labels, graph, data.layer.numpy())
        out = shallow_copy(data)
        out.track_label = torch.from_numpy(labels)
        return out

    return [("gnn", score), ("track_building", build_tracks)]
