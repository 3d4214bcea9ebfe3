"""Edge loss weights: truth, skip and fake edges, and the TrackML score's pT weighting."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trackgnn.evaluation import pt_weight
from trackgnn.graph import edge_loss_weights, score_pt_weight


def test_score_pt_weight_follows_the_trackml_score_relative_to_one_gev():
    pt = np.array([0.01, 0.1, 0.5, 0.8, 1.0, 2.0, 3.0, 10.0])
    expected = pt_weight(pt) / pt_weight(np.array([1.0]))[0]
    assert torch.allclose(score_pt_weight(torch.from_numpy(pt)), torch.from_numpy(expected).float())
    assert float(score_pt_weight(torch.tensor(1.0))) == pytest.approx(1.0)


def test_weights_by_kind_and_pt():
    true = torch.tensor([True, False, False, True])
    same = torch.tensor([True, True, False, True])
    pt = torch.tensor([1.0, 1.0, 5.0, 0.3])
    plain = edge_loss_weights(true, same, pt, pos_weight=2.0, skip_weight=0.5)
    assert plain.tolist() == [2.0, 0.5, 1.0, 2.0]
    weighted = edge_loss_weights(true, same, pt, pos_weight=2.0, skip_weight=0.5, pt_weighting="score")
    assert weighted.tolist() == pytest.approx([2.0, 0.5, 1.0, 2.0 * 0.2 / 0.36])  # fakes stay 1 whatever their pT


def test_unknown_weighting_and_missing_pt_are_refused():
    flags = torch.tensor([True])
    with pytest.raises(ValueError, match="pt_weighting: could not resolve 'pt'"):
        edge_loss_weights(flags, flags, None, pos_weight=1.0, skip_weight=1.0, pt_weighting="pt")
    with pytest.raises(ValueError, match="needs the per-edge pT"):
        edge_loss_weights(flags, flags, None, pos_weight=1.0, skip_weight=1.0, pt_weighting="score")
