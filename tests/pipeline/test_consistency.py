"""A chain's stages must agree: the same hard cuts, and the upstream stages the GNN's edge features need."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.embedding.conftest import write_config
from tests.gnn.conftest import gnn_config
from trackgnn.errors import ConfigError
from trackgnn.pipeline import upstream_configs
from trackgnn.stages import load_stage_config


def _chain(root: Path, *, gnn_cuts: dict | None = None, upstream: tuple[str, ...] = ("embedding", "filter"),
           edge_features: list[str] | None = None) -> Path:
    paths = {"embedding": write_config("tiny_embedding.yaml", root, input_dir=str(root / "raw")),
             "filter": write_config("tiny_filter.yaml", root)}
    overrides: dict = {"upstream": [str(paths[name]) for name in upstream]}
    if gnn_cuts is not None:
        overrides["hard_cuts"] = gnn_cuts
    if edge_features is not None:
        overrides["model"] = {"edge_features": edge_features}
    return gnn_config(root, root / "runs" / upstream[-1], **overrides)


def test_agreeing_chain_loads(tmp_path):
    _, config = load_stage_config(_chain(tmp_path))
    assert [stage.name for _, stage, _ in upstream_configs(config)] == ["embedding", "filter"]


def test_disagreeing_hard_cuts_name_both_files_and_values(tmp_path):
    gnn = _chain(tmp_path, gnn_cuts={"pt_min": 0.5, "remove_noise": True})
    _, config = load_stage_config(gnn)
    with pytest.raises(ConfigError) as err:
        upstream_configs(config)
    message = str(err.value)
    assert message.startswith(f"{gnn}: hard_cuts.pt_min = 0.5 but {tmp_path / 'tiny_embedding.yaml'} has 1.0")
    assert "the stages of a chain must select the same hits" in message


def test_filter_with_other_cuts_is_named(tmp_path):
    gnn = _chain(tmp_path)
    filt = tmp_path / "tiny_filter.yaml"
    data = yaml.safe_load(filt.read_text())
    data["hard_cuts"] = {"pt_min": 1.0, "remove_noise": False}
    filt.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=rf"{filt}: hard_cuts\.remove_noise = False but .*tiny_embedding\.yaml has True"):
        upstream_configs(load_stage_config(gnn)[1])


def test_edge_feature_without_its_stage(tmp_path):
    gnn = _chain(tmp_path, upstream=("embedding",), edge_features=["dr", "filter_score"])
    with pytest.raises(ConfigError, match=r"model\.edge_features has 'filter_score', which needs a filter stage "
                                          r"upstream; the chain has \['embedding', 'gnn'\]"):
        upstream_configs(load_stage_config(gnn)[1])
