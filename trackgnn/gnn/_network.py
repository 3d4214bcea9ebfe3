"""The trained module of the GNN stage: edge classifier plus the optional triplet classifier."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from trackgnn.models import InteractionGNN, TripletClassifier, inference_ready
from trackgnn.models._row_threads import chunked_rows
from trackgnn.tracking import TRIPLET_FEATURES, build_triplets, triplet_features

__all__ = ["EdgeTripletNetwork", "EdgeTripletOutput"]


class EdgeTripletOutput(NamedTuple):
    """Edge logits (E,); triplets (2, T) as edge indices and their logits (T,) (empty without a head)."""

    edge_logits: Tensor
    triplets: Tensor
    triplet_logits: Tensor


def _triplet_geometry(pos: Tensor, edge_index: Tensor, triplets: Tensor, scores: Tensor, chunked: bool,
                      chunk_rows: int = 32_768) -> Tensor:
    """``asinh`` of :func:`~trackgnn.tracking.triplet_features` (curvatures of fake triplets reach
    thousands per metre; true ones stay near 0); ``chunked``: by cache-sized blocks of triplets
    on worker threads (the features are per triplet: same values)."""
    if not chunked or triplets.shape[1] <= chunk_rows:
        return torch.asinh(triplet_features(pos, edge_index, triplets, scores))
    return chunked_rows(lambda start, stop: torch.asinh(triplet_features(pos, edge_index, triplets[:, start:stop],
                                                                         scores)),
                        triplets.shape[1], chunk_rows)


class EdgeTripletNetwork(nn.Module):
    """One ``forward`` for data-parallel training: edge logits, then triplets and their logits.

    Triplets are built (without gradient) from the edges whose current score is at least
    ``loose_cut``; the triplet head sees both edges' latent features, the middle hit's
    latent features (detached: the triplet loss trains the head only),
    :func:`~trackgnn.tracking.triplet_features` and the two doublet scores.

    Parameters
    ----------
    gnn : InteractionGNN
    triplet_hidden, triplet_layers : int, optional
        Shape of the triplet head; ``triplet_layers=0`` means no triplet head.
    loose_cut : float
        Doublet score for an edge to enter triplets.
    """

    def __init__(self, gnn: InteractionGNN, *, triplet_hidden: int = 64, triplet_layers: int = 3,
                 loose_cut: float = 0.1, activation: str = "silu", norm: str | None = "layer") -> None:
        super().__init__()
        self.gnn = gnn
        self.loose_cut = loose_cut
        self.triplet_head = None
        if triplet_layers > 0:
            channels = gnn.hidden_channels
            self.triplet_head = TripletClassifier(
                channels, node_channels=channels, geometric_features=len(TRIPLET_FEATURES) + 2,
                hidden_channels=triplet_hidden, num_layers=triplet_layers, activation=activation, norm=norm,
            )

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None = None,
                pos: Tensor | None = None, max_triplets: int | None = None,
                generator: torch.Generator | None = None) -> EdgeTripletOutput:
        """Score edges and (with a triplet head and ``pos`` (N, 3) in mm) the triplets among them.

        ``max_triplets`` draws that many triplets at random (training memory bound).
        """
        adjacency = self.gnn.grouped(edge_index, x.shape[0])  # embed and classify share it
        h, e = self.gnn.embed(x, edge_index, edge_attr, adjacency)
        edge_logits = self.gnn.classify(h, edge_index, e, adjacency)
        empty = torch.zeros((2, 0), dtype=torch.long, device=edge_index.device)
        if self.triplet_head is None or pos is None:
            return EdgeTripletOutput(edge_logits, empty, edge_logits.new_zeros(0))
        scores = torch.sigmoid(edge_logits.detach())
        triplets = build_triplets(edge_index, scores, self.loose_cut, num_nodes=x.shape[0])
        if max_triplets is not None and triplets.shape[1] > max_triplets:
            pick = torch.randperm(triplets.shape[1], generator=generator)[:max_triplets]
            triplets = triplets[:, pick.to(triplets.device)]
        geometry = _triplet_geometry(pos, edge_index, triplets, scores, chunked=inference_ready(self))
        # the head reads the GNN's latents without training them: the edge classifier is not
        # pulled around by a loss over a triplet set that changes as its own scores change
        triplet_logits = self.triplet_head(edge_index, triplets, edge_latent=e.detach(), node_latent=h.detach(),
                                           geometry=geometry)
        return EdgeTripletOutput(edge_logits, triplets, triplet_logits)
