"""The GNN's edge and triplet losses follow ``pos_weight``, ``skip_weight`` and ``pt_weighting``."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.gnn.conftest import filter_like_event, gnn_config
from trackgnn.gnn._inputs import edge_targets
from trackgnn.graph import edge_loss_weights
from trackgnn.stages import load_stage_config
from trackgnn.tracking import triplet_truth


def _losses(tmp_path, weighting: str):
    (tmp_path / weighting).mkdir()
    stage, config = load_stage_config(gnn_config(tmp_path / weighting, tmp_path, pt_weighting=weighting))
    event = stage.prepare_event(config, filter_like_event(1000, seed=3))
    torch.manual_seed(0)
    task = stage.build_task(config)
    with torch.no_grad():
        out = task.model(**task.inputs(event, "cpu"))
    return config, event, out, task.losses(out, event)


def test_score_weighting_reweighs_edges_and_triplets_by_the_particle_pt(tmp_path):
    config, event, out, (edge_loss, triplet_loss) = _losses(tmp_path, "score")
    _, _, _, (plain_edge, plain_triplet) = _losses(tmp_path, "none")
    true, same = edge_targets(event, event.edge_index)
    pt = event.pt[event.edge_index[0]]
    weight = edge_loss_weights(true, same, pt, pos_weight=config.pos_weight, skip_weight=config.skip_weight,
                               pt_weighting="score")
    bce = nn.functional.binary_cross_entropy_with_logits(out.edge_logits, true.float(), reduction="none")
    assert float(edge_loss) == pytest.approx(float((weight * bce).sum() / weight.sum()), rel=1e-5)
    assert float(edge_loss) != pytest.approx(float(plain_edge), rel=1e-3)
    assert out.triplets.shape[1] > 0
    target = triplet_truth(true, out.triplets)
    weight = edge_loss_weights(target, triplet_truth(same, out.triplets), pt[out.triplets[0]],
                               pos_weight=config.triplets.pos_weight, skip_weight=config.skip_weight,
                               pt_weighting="score")
    bce = nn.functional.binary_cross_entropy_with_logits(out.triplet_logits, target.float(), reduction="none")
    assert float(triplet_loss) == pytest.approx(float((weight * bce).sum() / weight.sum()), rel=1e-5)
    assert float(triplet_loss) != pytest.approx(float(plain_triplet), rel=1e-3)
