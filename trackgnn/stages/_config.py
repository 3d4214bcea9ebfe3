"""Settings every stage shares (the acorn-style top of a stage YAML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from trackgnn.processing import CELL_FEATURES, HIT_FEATURES, HardCuts
from trackgnn.training import TrainingConfig

__all__ = ["StageConfig", "NODE_FEATURES", "check_train_sectors"]

#: Per-hit features a config may name in ``node_features``.
NODE_FEATURES: tuple[str, ...] = HIT_FEATURES + CELL_FEATURES + ("x", "y", "cos_phi", "sin_phi")


def check_train_sectors(value: int) -> None:
    """``train_sectors`` of the stages that train on azimuthal sectors (embedding, GNN): 1-64."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
        raise ValueError(f"train_sectors must be an integer in [1, 64], got {value!r}")


@dataclass
class StageConfig:
    """Top-level keys common to all stages.

    Attributes
    ----------
    stage : str
        Registry name of the stage (``embedding``, ``filter``, ...).
    input_dir : Path
        Where the stage reads events (raw TrackML directory for the first stage,
        the previous stage's ``stage_dir`` otherwise).
    stage_dir : Path
        Output directory: ``{train,val,test}/event*.pt``, ``checkpoints/``, ``metrics.json``.
    data_split : (int, int, int)
        Number of events for training, validation and test (split by event).
    hard_cuts : HardCuts
        Hit selection for training and metric evaluation (all splits).
    node_features, node_scales : list
        Per-hit input features and the scale each is divided by (mm for r and z, rad for phi).
    seed : int
        Seed of weights, sampling and event order.
    """

    stage: str
    input_dir: Path
    stage_dir: Path
    data_split: tuple[int, int, int] = (8, 1, 1)
    hard_cuts: HardCuts = field(default_factory=HardCuts)
    node_features: list[str] = field(default_factory=lambda: ["r", "phi", "z"])
    node_scales: list[float] = field(default_factory=lambda: [1000.0, 3.14159, 1000.0])
    seed: int = 0
    training: TrainingConfig = field(default_factory=TrainingConfig)
    #: The YAML file this config came from (set by :func:`load_stage_config`; not a YAML key).
    config_path: Path | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if any(n < 0 for n in self.data_split) or self.data_split[0] < 1:
            raise ValueError(f"data_split needs [n_train >= 1, n_val >= 0, n_test >= 0], got "
                             f"{list(self.data_split)}")
        unknown = [f for f in self.node_features if f not in NODE_FEATURES]
        if unknown:
            raise ValueError(f"node_features: could not resolve {unknown[0]!r} among {list(NODE_FEATURES)}")
        if len(self.node_scales) != len(self.node_features):
            raise ValueError(f"node_scales has {len(self.node_scales)} entries but node_features has "
                             f"{len(self.node_features)}")
        if any(s == 0 for s in self.node_scales):
            raise ValueError(f"node_scales must be non-zero, got {self.node_scales}")
