"""Hard cuts subset hits and re-index every edge set consistently."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Data

from trackgnn.config import from_dict
from trackgnn.errors import ConfigError
from trackgnn.processing import HardCuts, apply_hard_cuts


def _event():
    # hits: 0,1,2 particle 1 (pT 2, 3 hits); 3,4 particle 2 (pT 0.5, 2 hits); 5 noise
    return Data(
        particle_id=torch.tensor([1, 1, 1, 2, 2, 0]),
        pt=torch.tensor([2.0, 2.0, 2.0, 0.5, 0.5, 0.0]),
        particle_eta=torch.tensor([0.1, 0.1, 0.1, 3.0, 3.0, 0.0]),
        particle_nhits=torch.tensor([3, 3, 3, 2, 2, 0]),
        r=torch.arange(6.0),
        track_edges=torch.tensor([[0, 1, 3], [1, 2, 4]]),
        edge_index=torch.tensor([[0, 1, 2, 3, 0], [5, 2, 4, 4, 1]]),
        y=torch.tensor([False, True, False, True, True]),
        edge_dist=torch.tensor([0.5, 0.1, 0.2, 0.3, 0.4]),
        num_nodes=6, event_id=7,
    )


def test_pt_and_noise_cut_reindexes_edges():
    out = apply_hard_cuts(_event(), HardCuts(pt_min=1.0, remove_noise=True))
    assert out.num_nodes == 3 and out.r.tolist() == [0.0, 1.0, 2.0]
    assert out.track_edges.tolist() == [[0, 1], [1, 2]]
    assert out.edge_index.tolist() == [[1, 0], [2, 1]]  # edges to hits 3, 4, 5 removed
    assert out.y.tolist() == [True, True] and out.edge_dist.tolist() == pytest.approx([0.1, 0.4])
    assert out.event_id == 7


def test_pt_cut_keeps_noise_unless_asked():
    out = apply_hard_cuts(_event(), HardCuts(pt_min=1.0))
    assert out.particle_id.tolist() == [1, 1, 1, 0]
    assert out.edge_index.tolist() == [[0, 1, 0], [3, 2, 1]]


def test_min_hits_and_eta_cuts():
    assert apply_hard_cuts(_event(), HardCuts(min_hits=3, remove_noise=True)).num_nodes == 3
    assert apply_hard_cuts(_event(), HardCuts(eta_max=2.5, remove_noise=True)).num_nodes == 3
    untouched = _event()
    assert apply_hard_cuts(untouched, HardCuts()) is untouched


def test_bad_cut_values_are_config_errors():
    with pytest.raises(ConfigError, match=r"hard_cuts: pt_min must be >= 0 GeV, got -1"):
        from_dict(HardCuts, {"pt_min": -1.0}, "hard_cuts")
    with pytest.raises(ConfigError, match=r"hard_cuts\.min_hits: expected an integer, got 'three'"):
        from_dict(HardCuts, {"min_hits": "three"}, "hard_cuts")
