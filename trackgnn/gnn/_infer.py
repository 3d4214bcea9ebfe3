"""Inference of a trained GNN stage on one event: edge and triplet scores, then tracks."""

from __future__ import annotations

import torch

from trackgnn.gnn._config import GNNStageConfig
from trackgnn.gnn._inputs import edge_feature_matrix, hit_positions

__all__ = ["GNNInference"]


class GNNInference:
    """Callable ``data → data`` with the GNN's outputs (see :class:`~trackgnn.gnn.GNNStage`).

    Parameters
    ----------
    model : EdgeTripletNetwork
        Trained, in eval mode, on ``device``.
    config : GNNStageConfig
    device : str
    """

    def __init__(self, model, config: GNNStageConfig, device: str = "cpu") -> None:
        self.model = model
        self.config = config
        self.device = device
        self.builder = config.tracking.builder()

    @classmethod
    def from_state(cls, stage, config: GNNStageConfig, state: dict, device: str = "cpu") -> "GNNInference":
        """Rebuild the network of ``stage`` for ``config`` and load the checkpoint ``state``."""
        from trackgnn.training import load_model_state

        model = stage.network(config)
        load_model_state(stage.checkpoint_dir(config) / "best.pt", model, state["model"])
        return cls(model.to(device).eval(), config, device)

    @torch.no_grad()
    def scores(self, data) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(E,) edge scores, (2, T) triplets and (T,) triplet scores (empty without a triplet head)."""
        cfg = self.config
        edge_index = data.edge_index
        if edge_index.shape[1] == 0:
            empty = torch.zeros((2, 0), dtype=torch.long)
            return torch.zeros(0), empty, torch.zeros(0)
        edge_attr = edge_feature_matrix(data, edge_index, cfg.model.edge_features)
        out = self.model(
            data.x.to(self.device),
            edge_index.to(self.device),
            None if edge_attr is None else edge_attr.to(self.device),
            hit_positions(data).to(self.device) if cfg.triplets.enabled else None,
        )
        return torch.sigmoid(out.edge_logits).cpu(), out.triplets.cpu(), torch.sigmoid(out.triplet_logits).cpu()

    def tracks(self, data, scores, triplets, triplet_scores) -> torch.Tensor:
        """(N,) track label per hit from the configured builder (−1: no track)."""
        from trackgnn.tracking import ScoredGraph

        graph = ScoredGraph(
            data.edge_index, scores, int(data.num_nodes),
            triplets=triplets if triplets.shape[1] else None,
            triplet_scores=triplet_scores if triplets.shape[1] else None,
            embedding=data.embedding if "embedding" in data else None,
        )
        return torch.from_numpy(self.builder(graph))

    def run(self, data) -> tuple:
        """The stage's output ``data`` and the seconds spent ``{"gnn": ..., "track_building": ...}``."""
        import time

        start = time.perf_counter()
        scores, triplets, triplet_scores = self.scores(data)
        scored = time.perf_counter()
        if "edge_score" in data:
            data.edge_filter_score = data.edge_score
        data.edge_score = scores
        data.edge_kept = scores > self.config.score_cut
        data.triplet_index = triplets
        data.triplet_score = triplet_scores
        data.track_label = self.tracks(data, scores, triplets, triplet_scores)
        if "x" in data:
            del data.x
        return data, {"gnn": scored - start, "track_building": time.perf_counter() - scored}

    def __call__(self, data):
        return self.run(data)[0]
