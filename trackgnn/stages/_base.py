"""The stage contract: typed config → ``train`` (checkpoints) and ``infer`` (one file per event)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from trackgnn.stages._config import StageConfig
from trackgnn.stages._data import SPLITS, EventDataModule, node_feature_matrix
from trackgnn.stages._trained import TrainedStage

if TYPE_CHECKING:
    from torch import nn

__all__ = ["Stage", "config_record", "find_producer_config", "producer_command"]


def config_record(config: StageConfig) -> dict:
    """The config as plain data (what outputs and checkpoints record)."""
    from trackgnn.config import to_dict

    record = to_dict(config)
    record.pop("config_path", None)
    return record


def find_producer_config(input_dir: Path, config_path: Path | None) -> Path | None:
    """The YAML beside ``config_path`` whose ``stage_dir`` is ``input_dir`` (the upstream stage), if any."""
    from trackgnn.config import load_yaml
    from trackgnn.errors import ConfigError

    if config_path is None:
        return None
    for candidate in sorted(Path(config_path).parent.glob("*.y*ml")):
        try:
            data = load_yaml(candidate)
        except ConfigError:
            continue
        if "stage_dir" in data and Path(str(data["stage_dir"])) == Path(input_dir):
            return candidate
    return None


def producer_command(input_dir: Path, config_path: Path | None) -> str:
    """The command that writes ``input_dir``: ``trackgnn infer`` of the sibling config whose
    ``stage_dir`` it is (:func:`find_producer_config`), or a generic hint."""
    upstream = find_producer_config(input_dir, config_path)
    if upstream is not None:
        return f"trackgnn infer {upstream}"
    return f"trackgnn infer <the config whose stage_dir is {input_dir}>"


class Stage(ABC):
    """One pipeline stage.  Subclasses set ``name`` and ``config_class`` and implement
    :meth:`build_model`, :meth:`build_task` and :meth:`inference_steps`; everything else
    is shared.  :meth:`load_trained` is the one way to run a trained stage.

    Layout of ``config.stage_dir``: ``{train,val,test}/event*.pt`` (outputs of :meth:`infer`),
    ``checkpoints/{last,best}.pt``, ``config.json`` (config of the outputs) and
    ``metrics.json`` (written by the CLI).
    """

    name: ClassVar[str]
    config_class: ClassVar[type[StageConfig]]
    #: Settings to lower when a step (``build``, ``train``, ``infer``) runs out of memory.
    memory_settings: ClassVar[dict[str, tuple[str, ...]]] = {}

    # ---------------------------------------------------------------- hooks
    def producer(self, config: StageConfig) -> str:
        """Command that creates ``config.input_dir`` (override for a first stage reading raw data)."""
        return producer_command(config.input_dir, config.config_path)

    def prepare_inputs(self, config: StageConfig, is_main: bool = True) -> Path:
        """Make sure the stage's event files exist; return the directory to read (default: input_dir)."""
        return Path(config.input_dir)

    def data_module(self, config: StageConfig, is_main: bool = True) -> EventDataModule:
        return EventDataModule(self.prepare_inputs(config, is_main), config.data_split,
                               config.hard_cuts, self.producer(config))

    def prepare_event(self, config: StageConfig, data):
        """Add ``data.x`` (scaled node features); override to add more."""
        data.x = node_feature_matrix(data, config.node_features, config.node_scales)
        return data

    def fingerprint(self, config: StageConfig) -> dict:
        """Settings a checkpoint must share with the config to be resumed or used."""
        record = config_record(config)
        return {key: record[key] for key in ("model", "node_features", "node_scales") if key in record}

    @abstractmethod
    def build_model(self, config: StageConfig) -> "nn.Module":
        """The stage's network for ``config``, freshly initialised."""

    @abstractmethod
    def build_task(self, config: StageConfig):
        """A :class:`trackgnn.training.TrainingTask` with a freshly initialised model.

        If the task also has ``report(events) -> dict`` (per-pT-bin edge metrics),
        :meth:`train` adds it for the best model on the validation events.
        """

    @abstractmethod
    def inference_steps(self, config: StageConfig, model: "nn.Module",
                        device: str) -> list[tuple[str, Callable[[Any], Any]]]:
        """``[(name, run), ...]``: the named steps mapping a prepared input event (with ``x``)
        to this stage's output event with the trained ``model``; no step modifies its input
        (see :func:`trackgnn.stages.shallow_copy`)."""

    def event_counts(self, data):
        """Additive metric counts of one output event (default: edge counts of ``edge_index``)."""
        from trackgnn.graph import edge_counts

        return edge_counts(data.edge_index, data.track_edges, data.particle_id, data.pt)

    # ------------------------------------------------------------- shared
    def memory_guard(self, config: StageConfig, step: str):
        """Context turning out-of-memory in ``step`` (``build``, ``train`` or ``infer``) into a
        :class:`~trackgnn.errors.ResourceError` naming the stage and :attr:`memory_settings`."""
        from trackgnn.training import out_of_memory_guard, setting_values

        what = {"build": f"building the {self.name} model", "train": f"training the {self.name} stage",
                "infer": f"running {self.name} inference"}[step]
        where = str(config.config_path) if config.config_path is not None else f"{self.name} stage"
        return out_of_memory_guard(where, what, setting_values(config, self.memory_settings.get(step, ())))

    def checkpoint_dir(self, config: StageConfig) -> Path:
        return Path(config.stage_dir) / "checkpoints"

    def best_checkpoint(self, config: StageConfig, path: Path | None = None) -> dict:
        """The best checkpoint (``path``, default ``checkpoints/best.pt``), checked against this
        config (:class:`CheckpointError` otherwise)."""
        from trackgnn.training import compare_fingerprint, load_checkpoint

        path = self.checkpoint_dir(config) / "best.pt" if path is None else Path(path)
        hint = f"trackgnn train {config.config_path or '<config>'}"
        state = load_checkpoint(path, command_hint=hint)
        compare_fingerprint(path, state.get("fingerprint", {}), self.fingerprint(config))
        return state

    def load_trained(self, config: StageConfig, device: str = "cpu",
                     checkpoint: str | Path | None = None) -> TrainedStage:
        """The trained stage, callable on one in-memory event.

        Parameters
        ----------
        config : StageConfig
        device : str
            ``cpu`` or ``cuda`` (resolved; see :func:`trackgnn.training.resolve_device`).
        checkpoint : path, optional
            The checkpoint file to load (default: ``stage_dir/checkpoints/best.pt``).

        Raises
        ------
        CheckpointError
            Missing, corrupt or mismatching checkpoint; the message names the train command.
        """
        from trackgnn.training import load_model_state

        path = self.checkpoint_dir(config) / "best.pt" if checkpoint is None else Path(checkpoint)
        state = self.best_checkpoint(config, path)
        with self.memory_guard(config, "build"):
            model = self.build_model(config)
            load_model_state(path, model, state["model"])
            model.to(device).eval()
        return TrainedStage(self, config, model, device, self.inference_steps(config, model, device))

    def train(self, config: StageConfig, restart: bool = False, log: Callable[[str], None] = print) -> dict:
        """Train (resuming an interrupted run unless ``restart``); returns the training summary."""
        import torch

        from trackgnn.training import Trainer, distributed

        with distributed(config.training.device) as ctx:
            if ctx.is_main:
                self.prepare_inputs(config, True)
            ctx.barrier()
            data = self.data_module(config, is_main=False)
            train_events = [self.prepare_event(config, e) for e in data.events("train")]
            val_events = [self.prepare_event(config, e) for e in data.events("val")]
            torch.manual_seed(config.seed)
            with self.memory_guard(config, "build"):
                task = self.build_task(config)
            if hasattr(task, "learn_from_truth"):  # statistics of the training truth, before any step
                task.learn_from_truth(train_events)
            trainer = Trainer(config.training, self.checkpoint_dir(config), seed=config.seed,
                              record=config_record(config), fingerprint=self.fingerprint(config),
                              context=ctx, log=log)
            with self.memory_guard(config, "train"):
                result = trainer.fit(task, train_events, val_events, resume=not restart)
            out = {"stage": self.name, **result}
            if hasattr(task, "report") and val_events:  # per-pT-bin metrics of the best model
                from trackgnn.training import load_model_state

                best = self.checkpoint_dir(config) / "best.pt"
                ctx.barrier()
                load_model_state(best, task.model, self.best_checkpoint(config)["model"])
                task.model.eval()
                with torch.no_grad(), self.memory_guard(config, "infer"):
                    out["validation"] = task.report(val_events)
            return out

    def output_record(self, config: StageConfig) -> str:
        """JSON of the config and checkpoint behind the outputs (compared by ``skip_existing``)."""
        state = self.best_checkpoint(config)
        return json.dumps({"config": config_record(config),
                           "checkpoint": {"run_id": state.get("run_id"), "epoch": state["epoch"],
                                          "best_epoch": state.get("best_epoch")}},
                          sort_keys=True)

    def infer(self, config: StageConfig, skip_existing: bool = True,
              log: Callable[[str], None] = print) -> dict:
        """Write ``stage_dir/{split}/event*.pt`` for every split; return metrics per split.

        Outputs already written by the same config and checkpoint are reused when ``skip_existing``.
        """
        from tqdm import tqdm

        from trackgnn.graph import summarize_edge_counts
        from trackgnn.io import atomic_path
        from trackgnn.processing import load_event_data, save_event_data
        from trackgnn.training import resolve_device

        data = self.data_module(config)
        record = self.output_record(config)
        stage_dir = Path(config.stage_dir)
        record_path = stage_dir / "config.json"
        reuse = skip_existing and record_path.is_file() and record_path.read_text() == record
        trained = self.load_trained(config, resolve_device(config.training.device))
        results: dict[str, Any] = {"stage": self.name}
        for split in SPLITS:
            total = None
            for path in tqdm(data.files(split), desc=f"{self.name} infer {split}", unit="event",
                             leave=False, disable=not config.training.progress):
                out_path = stage_dir / split / path.name
                if reuse and out_path.is_file():
                    out = load_event_data(out_path)
                else:
                    out = trained(data.load(path))
                    out.stage_config = record
                    save_event_data(out, out_path)
                counts = self.event_counts(out)
                total = counts if total is None else total + counts
            if total is not None:
                results[split] = summarize_edge_counts(total)
        with atomic_path(record_path) as tmp:
            tmp.write_text(record)
        return results

    def new_event_files(self, config: StageConfig, input_dir: Path, output_dir: Path) -> list[Path]:
        """Input event files of :meth:`infer_new_events` (default: ``input_dir/event*.pt``)."""
        from trackgnn.errors import MissingInputError
        from trackgnn.processing import event_files

        files = event_files(input_dir)
        if not files:
            raise MissingInputError(f"{input_dir}: no event*.pt files; run the previous stage on these "
                                    f"events first (`trackgnn infer <its config> --input ... --output {input_dir}`)")
        return files

    def infer_new_events(self, config: StageConfig, input_dir: str | Path, output_dir: str | Path,
                         log: Callable[[str], None] = print) -> dict:
        """Run the trained stage on every event of ``input_dir`` keeping every hit (no hard cuts).

        Writes ``output_dir/event*.pt``; returns edge metrics over all hits when the
        events carry truth (``{"all": ...}``).
        """
        from trackgnn.graph import summarize_edge_counts
        from trackgnn.processing import load_event_data, save_event_data
        from trackgnn.training import resolve_device

        input_dir, output_dir = Path(input_dir), Path(output_dir)
        files = self.new_event_files(config, input_dir, output_dir)
        record = self.output_record(config)
        trained = self.load_trained(config, resolve_device(config.training.device))
        total = None
        for path in files:
            out = trained(load_event_data(path))
            out.stage_config = record
            save_event_data(out, output_dir / path.name)
            counts = self.event_counts(out)
            total = counts if total is None else total + counts
        log(f"{self.name}: wrote {len(files)} events to {output_dir}")
        return {"stage": self.name, "all": summarize_edge_counts(total)} if total is not None else {}

    def outputs_ready(self, config: StageConfig) -> bool:
        """True when every split's outputs exist and were written by this config and checkpoint."""
        from trackgnn.errors import CheckpointError

        record_path = Path(config.stage_dir) / "config.json"
        try:
            if not record_path.is_file() or record_path.read_text() != self.output_record(config):
                return False
        except CheckpointError:
            return False
        from trackgnn.processing import event_files

        return all(len(event_files(Path(config.stage_dir) / split)) >= n
                   for split, n in zip(SPLITS, config.data_split))
