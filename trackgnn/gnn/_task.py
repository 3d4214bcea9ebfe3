"""The GNN's training task: weighted edge BCE plus the triplet BCE, and validation metrics."""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from trackgnn.gnn._config import GNNStageConfig
from trackgnn.geometry import hit_positions
from trackgnn.gnn._inputs import edge_feature_matrix, edge_targets
from trackgnn.gnn._network import EdgeTripletNetwork, EdgeTripletOutput
from trackgnn.graph import edge_loss_weights
from trackgnn.processing import random_sector
from trackgnn.ratios import ratio
from trackgnn.tracking import triplet_truth

__all__ = ["GNNTask"]


class TrainingView(Data):
    """What :meth:`GNNTask.training_view` keeps of an event (a ``Data``, so that
    :func:`~trackgnn.processing.subset_nodes` cuts sectors of it as of the event)."""


class GNNTask:
    """:class:`trackgnn.training.TrainingTask` of the GNN stage.

    Edge loss: binary cross-entropy on truth edges (consecutive hits of one particle)
    weighted ``pos_weight``, fake edges 1, and same-particle edges that skip hits
    ``skip_weight``.  Triplet loss (``triplets.enabled``, times ``loss_weight``): binary
    cross-entropy of the triplet head, true when both edges are truth edges (three
    consecutive hits), weighted ``triplets.pos_weight``; triplets of one particle that are
    not consecutive (a skip edge, or two hits of one layer) weigh ``skip_weight``.
    """

    metric_names = ("val_loss", "efficiency", "purity", "f1", "conditional_efficiency", "triplet_loss",
                    "triplet_efficiency", "triplet_purity")
    default_monitor = ("val_loss", "min")

    def __init__(self, model: EdgeTripletNetwork, config: GNNStageConfig) -> None:
        self.model = model
        self.config = config
        self._views: dict[int, tuple] = {}

    # ------------------------------------------------------------------ pieces
    def training_view(self, event, keep: bool = True):
        """The tensors the GNN's loss reads from ``event``, computed once per event and kept.

        A ``Data`` with the hits' ``x``, ``phi`` (the sectors' angle) and ``pos`` (with
        triplets) and, per edge of ``edge_index``, ``edge_attr`` (the network's edge
        features), ``edge_true`` / ``edge_same`` (:func:`~trackgnn.gnn._inputs.edge_targets`)
        and ``edge_pt`` (the source hit's particle pT).  Every one of them is a value per hit
        or per edge, so a sector of the view (:func:`~trackgnn.processing.random_sector`)
        holds the values the sector of the event would give: a training step no longer
        recomputes them (nor subsets the event's other attributes) for every sector it draws.
        ``keep=False`` computes the view without keeping it.
        """
        key = id(event)
        cached = self._views.get(key)
        if cached is not None and cached[0] is event:
            return cached[1]
        true, same = edge_targets(event, event.edge_index)
        view = TrainingView(x=event.x, phi=event.phi, edge_index=event.edge_index, edge_true=true,
                            edge_same=same, edge_pt=event.pt[event.edge_index[0]], num_nodes=event.num_nodes)
        edge_attr = edge_feature_matrix(event, event.edge_index, self.config.model.edge_features)
        if edge_attr is not None:
            view.edge_attr = edge_attr
        if self.config.triplets.enabled:
            view.pos = hit_positions(event)
        if keep:
            self._views[key] = (event, view)  # holds the event: its id stays its own
        return view

    def inputs(self, event, device) -> dict:
        """Keyword arguments of :meth:`EdgeTripletNetwork.forward` for ``event`` (or its
        :meth:`training_view`) on ``device``."""
        view = event if isinstance(event, TrainingView) else self.training_view(event)
        edge_attr = view.edge_attr if "edge_attr" in view else None
        return {
            "x": view.x.to(device),
            "edge_index": view.edge_index.to(device),
            "edge_attr": None if edge_attr is None else edge_attr.to(device),
            "pos": view.pos.to(device) if self.config.triplets.enabled else None,
        }

    def losses(self, out: EdgeTripletOutput, event) -> tuple[Tensor, Tensor]:
        """(edge loss, triplet loss) of ``event`` (or its :meth:`training_view`); the triplet
        loss is 0 without triplets."""
        cfg = self.config
        view = event if isinstance(event, TrainingView) else self.training_view(event)
        device = out.edge_logits.device
        true, same, pt = (view[key].to(device) for key in ("edge_true", "edge_same", "edge_pt"))
        weight = edge_loss_weights(true, same, pt, pos_weight=cfg.pos_weight, skip_weight=cfg.skip_weight,
                                   pt_weighting=cfg.pt_weighting)
        bce = nn.functional.binary_cross_entropy_with_logits(out.edge_logits, true.float(), reduction="none")
        edge_loss = (weight * bce).sum() / weight.sum().clamp_min(1e-12)
        if out.triplet_logits.numel() == 0:
            return edge_loss, out.triplet_logits.sum() * 0.0
        target = triplet_truth(true, out.triplets)
        one_particle = triplet_truth(same, out.triplets)
        weight = edge_loss_weights(target, one_particle, pt[out.triplets[0]], pos_weight=cfg.triplets.pos_weight,
                                   skip_weight=cfg.skip_weight, pt_weighting=cfg.pt_weighting)
        bce = nn.functional.binary_cross_entropy_with_logits(out.triplet_logits, target.float(), reduction="none")
        triplet_loss = (weight * bce).sum() / weight.sum().clamp_min(1e-12)
        return edge_loss, triplet_loss

    # ---------------------------------------------------------------- protocol
    def training_step(self, model: nn.Module, event, generator: torch.Generator) -> Tensor:
        return self.sector_loss(model, random_sector(self.training_view(event), self.config.train_sectors,
                                                     generator), generator)

    def sector_loss(self, model: nn.Module, sector: TrainingView, generator: torch.Generator) -> Tensor:
        """The training loss of one sector of a :meth:`training_view`: the edge loss plus
        ``triplets.loss_weight`` times the triplet loss of ``triplets.max_triplets`` drawn triplets."""
        device = next(self.model.parameters()).device
        out = model(**self.inputs(sector, device), max_triplets=self.config.triplets.max_triplets,
                    generator=generator)
        edge_loss, triplet_loss = self.losses(out, sector)
        return edge_loss + self.config.triplets.loss_weight * triplet_loss

    def validate(self, model: nn.Module, events: Sequence) -> dict[str, float]:
        """Edge ``efficiency``, ``purity`` and ``f1`` at ``score_cut`` as every stage reports them
        (:func:`trackgnn.graph.edge_summary`: truth edges of the event kept; kept edges joining hits
        of one particle), ``conditional_efficiency`` (truth edges *of the input graph* kept), the
        triplets' efficiency and purity at 0.5 among the triplets built, and both losses
        (``val_loss`` is the edge loss: early stopping follows the edge classifier)."""
        from trackgnn.graph import edge_counts, edge_summary

        cfg = self.config
        device = next(self.model.parameters()).device
        n = dict.fromkeys(("loss", "triplet_loss", "events", "true", "true_kept",
                           "t_true", "t_true_kept", "t_same_kept", "t_kept"), 0.0)
        total = None
        for event in events:
            out = model(**self.inputs(event, device))
            edge_loss, triplet_loss = self.losses(out, event)
            n["loss"] += float(edge_loss)
            n["triplet_loss"] += float(triplet_loss)
            n["events"] += 1
            view = self.training_view(event)
            true, same = view.edge_true, view.edge_same
            kept = torch.sigmoid(out.edge_logits).cpu() > cfg.score_cut
            counts = edge_counts(event.edge_index, event.track_edges, event.particle_id, event.pt, edge_mask=kept)
            total = counts if total is None else total + counts
            n["true"] += int(true.sum())
            n["true_kept"] += int((true & kept).sum())
            if out.triplet_logits.numel():
                t_true = triplet_truth(true, out.triplets.cpu())
                t_same = triplet_truth(same, out.triplets.cpu())
                t_kept = out.triplet_logits.cpu() > 0
                n["t_true"] += int(t_true.sum())
                n["t_true_kept"] += int((t_true & t_kept).sum())
                n["t_same_kept"] += int((t_same & t_kept).sum())
                n["t_kept"] += int(t_kept.sum())
        edges = edge_summary(total)
        return {
            "val_loss": ratio(n["loss"], n["events"]),
            "efficiency": edges["efficiency"],
            "purity": edges["purity"],
            "f1": edges["f1"],
            "conditional_efficiency": ratio(n["true_kept"], n["true"]),
            "triplet_loss": ratio(n["triplet_loss"], n["events"]) if cfg.triplets.enabled else math.nan,
            "triplet_efficiency": ratio(n["t_true_kept"], n["t_true"]),
            "triplet_purity": ratio(n["t_same_kept"], n["t_kept"]),
        }
