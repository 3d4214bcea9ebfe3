"""Node feature matrices: stored, derived and embedding coordinates, scaled."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Data

from trackgnn.stages import node_feature_matrix


def _event(embedding: bool = True) -> Data:
    generator = torch.Generator().manual_seed(0)
    data = Data(r=torch.rand(6, generator=generator) * 1000, phi=torch.rand(6, generator=generator) * 6 - 3)
    if embedding:
        data.embedding = torch.randn(6, 4, generator=generator)
    data.num_nodes = 6
    return data


def test_columns_follow_the_names_and_their_scales():
    data = _event()
    x = node_feature_matrix(data, ["r", "cos_phi", "embedding_2", "embedding_0"], [1000.0, 1.0, 2.0, 1.0])
    assert x.shape == (6, 4) and x.dtype == torch.float32
    assert torch.allclose(x[:, 0], data.r / 1000)
    assert torch.allclose(x[:, 1], torch.cos(data.phi))
    assert torch.equal(x[:, 2], data.embedding[:, 2] / 2)
    assert torch.equal(x[:, 3], data.embedding[:, 0])


@pytest.mark.parametrize("embedding, name, have", [(False, "embedding_0", "no embedding"),
                                                   (True, "embedding_4", "an embedding of 4 coordinates")])
def test_an_embedding_coordinate_the_events_lack_is_a_clear_error(embedding, name, have):
    with pytest.raises(ValueError, match=rf"node_features: '{name}' needs the hits' embedding .* events have {have}"):
        node_feature_matrix(_event(embedding), ["r", name], [1.0, 1.0])
