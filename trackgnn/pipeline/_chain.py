"""The whole inference chain on raw TrackML events: preprocessing → every stage → tracks."""

from __future__ import annotations

import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from trackgnn.errors import ConfigError

__all__ = ["PRECISIONS", "ChainResult", "InferenceChain"]

#: Precisions the chain runs its networks in.
PRECISIONS: tuple[str, ...] = ("fp32", "bf16")


def _to_float32(data) -> None:
    """Stage outputs in FP32 whatever the autocast precision (track builders read them as NumPy)."""
    import torch

    for key in list(data.keys()):
        value = data[key]
        if torch.is_tensor(value) and value.dtype in (torch.bfloat16, torch.float16):
            data[key] = value.float()


@dataclass
class ChainResult:
    """One event through the chain.

    Attributes
    ----------
    data : Data or None
        The GNN stage's output event (None for an event without hits).
    labels : ndarray
        (n_hits,) track label per row of the input hits; −1 for hits in no track.
    seconds : dict
        Wall time per step: ``preprocessing``, one entry per stage, ``track_building``.
    graphs : dict
        Stage name → (2, E) edges that stage hands on (the GNN: edges above its score cut),
        indexing the rows of the input hits; evaluation scores them against the truth.
    """

    data: Any
    labels: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)
    graphs: dict[str, Any] = field(default_factory=dict)


def _checkpoint_override(stage, root: Path) -> None:
    """Read ``stage``'s checkpoints from ``root/<stage name>/`` instead of its stage_dir."""
    stage.checkpoint_dir = types.MethodType(lambda self, config: Path(root) / self.name, stage)


class InferenceChain:
    """The trained stages of a GNN config (its ``upstream`` stages, then the GNN), ready to run.

    Parameters
    ----------
    config_path : path
        The GNN stage YAML.
    checkpoint_dir : path, optional
        Read each stage's ``best.pt`` from ``checkpoint_dir/<stage>/`` (embedding, filter,
        gnn) instead of ``<stage_dir>/checkpoints/``.
    device : str
        ``cpu``, ``cuda`` or ``auto``.
    precision : {'fp32', 'bf16'}
        ``bf16`` runs the filter and GNN networks under BF16 autocast (the embedding, whose
        distances decide the graph, stays FP32); stage outputs are FP32 either way.

    Raises
    ------
    CheckpointError
        A stage has no (or a corrupt, or a mismatching) checkpoint; the message says which
        command trains it.
    """

    def __init__(self, config_path: str | Path, *, checkpoint_dir: str | Path | None = None,
                 device: str = "auto", precision: str = "fp32") -> None:
        from trackgnn.pipeline._bootstrap import upstream_configs
        from trackgnn.stages import load_stage_config
        from trackgnn.training import resolve_device

        gnn_stage, gnn_config = load_stage_config(config_path)
        if gnn_stage.name != "gnn":
            raise ConfigError(f"{config_path}: expected a gnn stage config, got stage {gnn_stage.name!r}")
        if precision not in PRECISIONS:
            raise ConfigError(f"precision: could not resolve {precision!r} among {list(PRECISIONS)}")
        self.config = gnn_config
        self.device = resolve_device(device)
        self.precision = precision
        self.stages = [*upstream_configs(gnn_config), (Path(config_path), gnn_stage, gnn_config)]
        self.processes: list[tuple[str, Any, Any, Callable]] = []
        for _, stage, config in self.stages:
            if checkpoint_dir is not None:
                _checkpoint_override(stage, Path(checkpoint_dir))
            with stage.memory_guard(config, "build"):
                self.processes.append((stage.name, stage, config, stage.load_inference(config, self.device)))

    def _autocast(self, stage_name: str):
        import contextlib

        import torch

        if self.precision == "fp32" or stage_name == "embedding":
            return contextlib.nullcontext()
        return torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16)

    @property
    def hard_cuts(self):
        """The hard cuts of the first stage (what the chain was trained on)."""
        return self.stages[0][2].hard_cuts

    @property
    def stage_names(self) -> list[str]:
        return [name for name, *_ in self.processes]

    def run(self, event_id: int, hits, cells=None) -> ChainResult:
        """Reconstruct one event from its hits (and cells, when present).

        This is all the chain ever sees: no truth enters it, so ``trackgnn evaluate`` and
        ``trackgnn reconstruct`` give the same tracks for the same hits.
        """
        import torch

        from trackgnn.processing import process_event

        path, first, _ = self.stages[0]
        if first.name != "embedding":
            raise ConfigError(f"{self.stages[-1][0]}: the chain starts with the {first.name} stage ({path}), which "
                              "needs a graph; list the embedding and filter configs under upstream to run on hits")
        seconds: dict[str, float] = {}
        graphs: dict[str, Any] = {}
        start = time.perf_counter()
        data = process_event(event_id, hits, cells)
        seconds["preprocessing"] = time.perf_counter() - start
        labels = np.full(len(hits), -1, dtype=np.int64)
        if data.num_nodes == 0:
            for name in self.stage_names:
                seconds[name] = 0.0
            seconds["track_building"] = 0.0
            return ChainResult(None, labels, seconds, graphs)
        with torch.no_grad():
            for name, stage, config, process in self.processes:
                start = time.perf_counter()
                data = stage.prepare_event(config, data)
                with stage.memory_guard(config, "infer"), self._autocast(name):
                    if hasattr(process, "run"):
                        data, parts = process.run(data)
                        seconds.update(parts)
                    else:
                        data = process(data)
                        seconds[name] = time.perf_counter() - start
                _to_float32(data)
                kept = data.edge_kept if "edge_kept" in data else None
                graphs[name] = data.edge_index if kept is None else data.edge_index[:, kept]
        labels[:] = data.track_label.numpy()
        return ChainResult(data, labels, seconds, graphs)
