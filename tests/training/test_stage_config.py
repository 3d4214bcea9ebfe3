"""Stage YAML → typed config: clear errors for unknown keys, wrong types and bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from trackgnn.errors import ConfigError
from trackgnn.stages import Stage, load_stage_config, register_stage, registered_stages

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "stage.yaml"
    path.write_text("stage: embedding\ninput_dir: raw\nstage_dir: out\n" + text)
    return path


@pytest.mark.parametrize("name", ["embedding", "filter", "gnn"])
@pytest.mark.parametrize("scale", ["", "_full", "benchmark/"])
def test_shipped_configs_load(name, scale):
    path = REPO / "configs" / (f"{scale}{name}.yaml" if scale.endswith("/") else f"{name}{scale}.yaml")
    stage, config = load_stage_config(path)
    assert stage.name == name and config.config_path == path
    # the default configs keep every particle and noise hit; configs/benchmark/ is acorn's pT > 1 GeV benchmark
    benchmark = scale == "benchmark/"
    assert config.hard_cuts.pt_min == (1.0 if benchmark else 0.0)
    assert config.hard_cuts.remove_noise == benchmark


@pytest.mark.parametrize(
    "text, message",
    [
        ("learning_rate: 0.1\n", r"stage\.yaml: unknown key 'learning_rate'; allowed keys are: data_split, graph"),
        ("training: {lr: fast}\n", r"stage\.yaml\.training\.lr: expected a number, got 'fast'"),
        ("training: {epochs: 3}\n", r"stage\.yaml\.training: unknown key 'epochs'; allowed keys are: .*max_epochs"),
        ("data_split: [1, two, 1]\n", r"stage\.yaml\.data_split\[1\]: expected an integer, got 'two'"),
        ("data_split: [1, 1]\n", r"stage\.yaml\.data_split: expected 3 items, got 2"),
        ("model: {norm: group}\n", r"stage\.yaml\.model\.norm: value 'group' is not one of \['layer', 'batch', 'none'\]"),
        ("graph: {backend: annoy}\n", r"backend: could not resolve 'annoy' among \['auto', 'faiss', 'kdtree', 'torch'\]"),
        ("node_features: [r, rho]\nnode_scales: [1, 1]\n", r"node_features: could not resolve 'rho' among"),
        ("node_scales: [1.0]\n", r"node_scales has 1 entries but node_features has 5|node_scales has 1 entries but node_features has 3"),
        ("hard_cuts: {pt_min: -1}\n", r"stage\.yaml\.hard_cuts: pt_min must be >= 0 GeV, got -1"),
        ("training: {max_epochs: 0}\n", r"max_epochs must be >= 1, got 0"),
    ],
)
def test_bad_configs_fail_with_clear_messages(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_stage_config(_write(tmp_path, text))


def test_unknown_and_missing_stage(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("stage: embeding\ninput_dir: a\nstage_dir: b\n")
    with pytest.raises(ConfigError, match=r"x\.yaml: stage: could not resolve 'embeding' among \[.*'embedding', 'filter'"):
        load_stage_config(path)
    path.write_text("input_dir: a\nstage_dir: b\n")
    with pytest.raises(ConfigError, match=r"x\.yaml: required key 'stage' is missing"):
        load_stage_config(path)
    assert {"embedding", "filter", "gnn"} <= set(registered_stages())


def test_a_registered_stage_is_resolved_from_yaml(tmp_path, monkeypatch):
    from trackgnn.embedding import EmbeddingStage
    from trackgnn.stages import STAGES

    monkeypatch.setattr("trackgnn.stages._registry.STAGES", dict(STAGES))

    @register_stage
    class Renamed(EmbeddingStage):
        name = "renamed"

    path = tmp_path / "x.yaml"
    path.write_text("stage: renamed\ninput_dir: a\nstage_dir: b\n")
    stage, _ = load_stage_config(path)
    assert type(stage) is Renamed and isinstance(stage, Stage)
    with pytest.raises(TypeError, match="expected a Stage subclass"):
        register_stage("trackgnn.embedding._stage:EmbeddingStage")


@pytest.mark.parametrize("stage, extra", [("embedding", ""), ("filter", "")])
@pytest.mark.parametrize("old, new", [("hidden", "hidden_channels"), ("n_layers", "num_layers")])
def test_old_key_names_are_rejected_with_the_new_name(tmp_path, stage, extra, old, new):
    path = tmp_path / "stage.yaml"
    path.write_text(f"stage: {stage}\ninput_dir: raw\nstage_dir: out\nmodel: {{{old}: 64}}\n")
    with pytest.raises(ConfigError, match=rf"stage\.yaml\.model: key '{old}' is now called '{new}'"):
        load_stage_config(path)
    path.write_text(f"stage: {stage}\ninput_dir: raw\nstage_dir: out\nmodel: {{{new}: 64}}\n")
    assert getattr(load_stage_config(path)[1].model, new) == 64


def test_every_stage_names_widths_and_depths_alike():
    """``hidden_channels`` / ``num_layers`` in every stage's model (and the GNN's triplet head)."""
    for name in ("embedding", "filter"):
        model = load_stage_config(REPO / "configs" / f"{name}.yaml")[1].model
        assert model.hidden_channels >= 1 and model.num_layers >= 1
        assert not hasattr(model, "hidden") and not hasattr(model, "n_layers")
    gnn = load_stage_config(REPO / "configs" / "gnn.yaml")[1]
    assert gnn.model.hidden_channels >= 1 and gnn.triplets.num_layers >= 1
