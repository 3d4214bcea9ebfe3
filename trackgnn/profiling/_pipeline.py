"""The trained pipeline as a sequence of roofline stages.

``configs/gnn.yaml`` is run through :class:`trackgnn.pipeline.InferenceChain` (the
chain ``trackgnn reconstruct`` runs: its ``upstream`` stages, the GNN, track
building), which names the training command of any missing checkpoint.  A
config of an earlier stage is profiled with the stages up to it, found the
way ``trackgnn infer`` finds producers (a sibling config whose ``stage_dir``
is this config's ``input_dir``); each needs its ``best.pt`` checkpoint, or
:class:`MissingInputError` names the command that makes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trackgnn.errors import MissingInputError
from trackgnn.profiling._app import Stage

__all__ = ["pipeline_chain", "pipeline_stages"]


def pipeline_chain(config_path: str | Path) -> list[tuple[Any, Any]]:
    """``[(stage, config), ...]`` from the first stage to ``config_path``'s stage."""
    from trackgnn.config import load_yaml
    from trackgnn.errors import ConfigError
    from trackgnn.stages import load_stage_config

    config_path = Path(config_path)
    _require_config(config_path)
    chain = [load_stage_config(config_path)]
    siblings = {}
    for candidate in sorted(config_path.parent.glob("*.y*ml")):
        try:
            data = load_yaml(candidate)
        except ConfigError:
            continue
        if "stage_dir" in data and "stage" in data:
            siblings[Path(str(data["stage_dir"]))] = candidate
    seen = {config_path.resolve()}
    while Path(chain[0][1].input_dir) in siblings:
        producer = siblings[Path(chain[0][1].input_dir)]
        if producer.resolve() in seen:
            break
        seen.add(producer.resolve())
        chain.insert(0, load_stage_config(producer))
    return chain


def _require_config(config_path: Path) -> None:
    if not config_path.is_file():
        raise MissingInputError(
            f"roofline app: config {config_path} does not exist; the application roofline profiles the "
            f"trained pipeline: create the stage configs and run `trackgnn train {config_path}` first"
        )


def _require_checkpoints(chain: list[tuple[Any, Any]]) -> None:
    for stage, config in chain:
        path = stage.checkpoint_dir(config) / "best.pt"
        if not path.is_file():
            raise MissingInputError(
                f"roofline app: stage {stage.name!r} has no trained checkpoint {path}; "
                f"run `trackgnn train {config.config_path}` first"
            )


def pipeline_stages(config_path: str | Path, device: str, event_index: int = 0,
                    hard_cuts: bool = True) -> tuple[list[Stage], Any, str, str]:
    """Roofline stages of the trained pipeline, the first stage's input event, its name and which hits.

    With ``hard_cuts`` (default) the event keeps the hits passing the first stage's training
    hard cuts, the regime the pipeline is trained and evaluated in (``trackgnn evaluate``);
    without, every hit (``trackgnn reconstruct``).

    A GNN config runs :class:`trackgnn.pipeline.InferenceChain` (its ``upstream`` stages, the GNN,
    track building) on a held-out raw event; a config of an earlier stage profiles the chain
    of stages up to it on that stage chain's first test event.
    """
    from trackgnn.stages import load_stage_config

    _require_config(Path(config_path))
    if load_stage_config(config_path)[0].name == "gnn":
        from trackgnn.profiling._pipeline_stages import build_chain_stages

        return build_chain_stages(config_path, device, event_index, hard_cuts)  # checks its own checkpoints
    chain = pipeline_chain(config_path)
    _require_checkpoints(chain)
    from trackgnn.profiling._pipeline_stages import build_stages

    return build_stages(chain, device, event_index, hard_cuts)
