"""The data module every stage uses: find a split's event files, load them, apply hard cuts.

A stage's ``input_dir`` is either flat (``event*.pt``, e.g. preprocessed raw
events, split by event-id order into the first ``n_train``, next ``n_val`` and
next ``n_test`` events) or a previous stage's output with ``train/``, ``val/``
and ``test/`` sub-directories (the first ``n`` files of each are used).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import torch

from trackgnn.config import resolved_from
from trackgnn.errors import MissingInputError
from trackgnn.geometry import polar_to_xy
from trackgnn.processing import HardCuts, apply_hard_cuts, event_files, load_event_data

__all__ = ["SPLITS", "DERIVED_FEATURES", "EventDataModule", "node_feature_matrix"]

SPLITS: tuple[str, ...] = ("train", "val", "test")

#: Features computed on the fly from the stored ones (continuous across phi = +-pi).
DERIVED_FEATURES: dict[str, Callable] = {
    "x": lambda d: polar_to_xy(d.r, d.phi)[0],
    "y": lambda d: polar_to_xy(d.r, d.phi)[1],
    "cos_phi": lambda d: torch.cos(d.phi),
    "sin_phi": lambda d: torch.sin(d.phi),
}


def node_feature_matrix(data, names: Sequence[str], scales: Sequence[float]):
    """Tensor of shape ``(n_hits, len(names))``: each named per-hit feature divided by its scale.

    Names are stored attributes (``r, phi, z, eta``, cluster features) or
    :data:`DERIVED_FEATURES` (``x, y`` in mm, ``cos_phi, sin_phi``).
    """
    columns = [DERIVED_FEATURES[name](data) if name in DERIVED_FEATURES else data[name]
               for name in names]
    return torch.stack([c.float() / float(scale) for c, scale in zip(columns, scales)], dim=1)


class EventDataModule:
    """Event files of ``input_dir`` split by event, loaded with hard cuts applied.

    Parameters
    ----------
    input_dir : path
    data_split : (n_train, n_val, n_test)
    hard_cuts : HardCuts
    producer : str
        The command that creates ``input_dir`` (quoted in :class:`MissingInputError`).
    flat_files : sequence of Path, optional
        Explicit event files (in split order) of a flat ``input_dir``; default: all of them.
    """

    def __init__(self, input_dir: str | Path, data_split: Sequence[int], hard_cuts: HardCuts,
                 producer: str, flat_files: Sequence[Path] | None = None) -> None:
        self.input_dir = Path(input_dir)
        self.flat_files = None if flat_files is None else [Path(p) for p in flat_files]
        self.data_split = tuple(data_split)
        self.hard_cuts = hard_cuts
        self.producer = producer

    def _missing(self, what: str) -> MissingInputError:
        return MissingInputError(f"{what}; create it with `{self.producer}`")

    @property
    def is_split(self) -> bool:
        if self.flat_files is not None:
            return False
        return any((self.input_dir / split).is_dir() for split in SPLITS)

    def files(self, split: str) -> list[Path]:
        """Event files of ``split`` (``train``, ``val`` or ``test``), at most its ``data_split`` count."""
        index = SPLITS.index(split)
        wanted = self.data_split[index]
        if self.flat_files is None and not self.input_dir.is_dir():
            raise self._missing(f"{self.input_dir}: input directory not found{resolved_from(self.input_dir)}")
        if self.is_split:
            found = event_files(self.input_dir / split)
            if len(found) < wanted:
                raise self._missing(f"{self.input_dir / split}: {len(found)} events but data_split "
                                    f"asks for {wanted}")
            return found[:wanted]
        found = self.flat_files if self.flat_files is not None else event_files(self.input_dir)
        start = sum(self.data_split[:index])
        if len(found) < start + wanted:
            raise self._missing(f"{self.input_dir}: {len(found)} events but data_split "
                                f"{list(self.data_split)} needs {sum(self.data_split)}")
        return found[start:start + wanted]

    def load(self, path: str | Path, cut: bool = True):
        """One event, with the hard cuts applied unless ``cut`` is false."""
        data = load_event_data(path)
        return apply_hard_cuts(data, self.hard_cuts) if cut else data

    def events(self, split: str, cut: bool = True) -> list:
        """All events of ``split`` in memory (``Data`` objects, hard cuts applied unless ``cut`` is false)."""
        return [self.load(path, cut) for path in self.files(split)]
