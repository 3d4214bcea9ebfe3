"""Per-edge weights of the edge-classification losses (filter and GNN share them)."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["PT_WEIGHTINGS", "edge_loss_weights", "score_pt_weight"]

#: Values of the ``pt_weighting`` setting: ``none`` (every truth edge alike) or ``score``.
PT_WEIGHTINGS: tuple[str, ...] = ("none", "score")

#: pT (GeV) at which the ``score`` weighting equals 1.
_REFERENCE_PT = 1.0


def score_pt_weight(pt: Tensor) -> Tensor:
    """The TrackML score's particle weight of ``pt`` (GeV), relative to its value at 1 GeV.

    The score weighs a particle's hits 0.2 up to 0.5 GeV, rising linearly to 1.0 at 3 GeV
    (0 below 0.05 GeV): here 0.56 below 0.5 GeV, 1 at 1 GeV, 2.78 from 3 GeV up.
    """
    def raw(p: Tensor) -> Tensor:
        value = 0.2 + 0.8 * ((p - 0.5) / 2.5).clamp(0.0, 1.0)
        return torch.where(p < 0.05, torch.zeros_like(value), value)

    pt = pt.float()
    return raw(pt) / raw(torch.tensor(_REFERENCE_PT))


def edge_loss_weights(true: Tensor, same: Tensor, pt: Tensor | None, *, pos_weight: float,
                      skip_weight: float, pt_weighting: str = "none") -> Tensor:
    """(E,) binary cross-entropy weights of edges.

    Truth edges (consecutive hits of one particle) weigh ``pos_weight``, other edges
    joining hits of one particle ``skip_weight``, fake edges 1.  ``pt_weighting="score"``
    multiplies the weights of both same-particle kinds by :func:`score_pt_weight` of the
    particle's ``pt`` (per edge), so the loss rewards what the TrackML score rewards.

    Raises
    ------
    ValueError
        ``pt_weighting`` is not one of :data:`PT_WEIGHTINGS`, or it needs ``pt`` and got None.
    """
    if pt_weighting not in PT_WEIGHTINGS:
        raise ValueError(f"pt_weighting: could not resolve {pt_weighting!r} among {list(PT_WEIGHTINGS)}")
    signal = torch.where(true, torch.full_like(true, pos_weight, dtype=torch.float32),
                         torch.full_like(true, skip_weight, dtype=torch.float32))
    if pt_weighting == "score":
        if pt is None:
            raise ValueError("pt_weighting 'score' needs the per-edge pT")
        signal = signal * score_pt_weight(pt.to(signal.device))
    return torch.where(same | true, signal, torch.ones_like(signal))
