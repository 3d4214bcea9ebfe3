"""Hinge (contrastive) loss on squared embedding distances."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["hinge_loss"]


def hinge_loss(embedding: Tensor, pairs: Tensor, same: Tensor, margin: float,
               weight_true: float = 1.0) -> Tensor:
    """Contrastive loss: pull pairs of one particle together, push other pairs beyond ``margin``.

    Parameters
    ----------
    embedding : Tensor of shape (n_hits, d)
    pairs : Tensor of shape (2, n_pairs), int64
    same : Tensor of shape (n_pairs,), bool
        Both hits belong to the same (non-noise) particle.
    margin : float
        Distance beyond which different-particle pairs cost nothing.
    weight_true : float
        Weight of the same-particle term.

    Returns
    -------
    Scalar Tensor: ``weight_true * mean(d^2 | same) + mean(relu(margin - d)^2 | different)``.
    The push on a different-particle pair does not vanish as ``d → 0`` (it would with
    a hinge on ``d^2``), so the embedding cannot collapse.
    """
    d2 = (embedding.index_select(0, pairs[0]) - embedding.index_select(0, pairs[1])).pow(2).sum(dim=-1)
    zero = embedding.sum() * 0.0
    pos = d2[same].mean() if same.any() else zero
    if (~same).any():
        d = torch.sqrt(d2[~same] + 1e-12)
        neg = torch.relu(margin - d).pow(2).mean()
    else:
        neg = zero
    return weight_true * pos + neg
