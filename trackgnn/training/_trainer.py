"""The one training loop every stage uses: AdamW, LR schedule, early stopping, checkpoints, DDP."""

from __future__ import annotations

import math
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from trackgnn.training._checkpoint import (
    compare_fingerprint,
    load_checkpoint,
    load_model_state,
    save_checkpoint,
)
from trackgnn.training._config import TrainingConfig
from trackgnn.training._distributed import DistContext, shard

__all__ = ["TrainingTask", "Trainer", "TrainResult", "epoch_seed"]


class TrainingTask(Protocol):
    """What a stage supplies to :class:`Trainer`.

    ``model`` is the bare ``nn.Module``.  ``training_step`` receives the module to
    call (wrapped in DDP when distributed; call it exactly once with gradients),
    one training event and a seeded generator for any sampling, and returns the
    scalar loss.  ``validate`` returns named metrics (``metric_names``) computed
    on the validation events with gradients disabled.  ``default_monitor`` is the
    ``(metric, 'max' | 'min')`` used when the config names none.
    """

    model: Any
    metric_names: tuple[str, ...]
    default_monitor: tuple[str, str]

    def training_step(self, model, event, generator) -> Any: ...

    def validate(self, model, events: Sequence) -> dict[str, float]: ...


class TrainResult(dict):
    """``{"best_epoch", "best_value", "monitor", "epochs", "stopped_early", "history"}``."""


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """Seed of the generators for ``epoch`` on ``rank``: resuming at an epoch boundary is exact."""
    return (seed * 1_000_003 + epoch * 7919 + rank * 104_729) % (2**63 - 1)


class Trainer:
    """Fit a :class:`TrainingTask`, writing ``last.pt`` every epoch and ``best.pt`` on improvement.

    Parameters
    ----------
    config : TrainingConfig
    checkpoint_dir : path
        Where ``last.pt`` and ``best.pt`` go (rank 0 writes them).
    seed : int
        Seeds initial weights (set by the caller before building the model),
        the event order and the task's sampling.
    record : dict
        The full config that produced the run (primitive values), stored in each checkpoint.
    fingerprint : dict
        Settings that must match to resume (e.g. the model block); a mismatch is a
        :class:`~trackgnn.errors.CheckpointError`.
    context : DistContext
        Rank, world size and device (see :func:`trackgnn.training.distributed`).
    log : callable
        Receives one line per epoch (called on rank 0 only).
    """

    def __init__(self, config: TrainingConfig, checkpoint_dir: str | Path, seed: int = 0,
                 record: dict | None = None, fingerprint: dict | None = None,
                 context: DistContext | None = None, log: Callable[[str], None] = print) -> None:
        self.config = config
        self.checkpoint_dir = Path(checkpoint_dir)
        self.seed = seed
        self.record = record or {}
        self.fingerprint = fingerprint or {}
        self.context = context or DistContext()
        self.log = log if self.context.is_main else (lambda line: None)

    @property
    def last_path(self) -> Path:
        return self.checkpoint_dir / "last.pt"

    @property
    def best_path(self) -> Path:
        return self.checkpoint_dir / "best.pt"

    # ------------------------------------------------------------------ helpers
    def _better(self, value: float, best: float | None) -> bool:
        if value is None or math.isnan(value):
            return False
        if best is None:
            return True
        return value > best if self.mode == "max" else value < best

    def _state(self, task, optimizer, scheduler, epoch, best, bad_epochs, history, finished) -> dict:
        import torch

        return {
            "epoch": epoch,
            "model": task.model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": torch.get_rng_state(),
            "best_epoch": best[0],
            "best_value": best[1],
            "bad_epochs": bad_epochs,
            "history": history,
            "finished": finished,
            "stopped_early": finished and epoch < self.config.max_epochs,
            "seed": self.seed,
            "run_id": self.run_id,
            "config": self.record,
            "fingerprint": self.fingerprint,
        }

    def _resolve_monitor(self, task) -> None:
        """Set ``self.monitor`` and ``self.mode`` from the config or the task's default."""
        from trackgnn.errors import ConfigError

        default_name, default_mode = getattr(task, "default_monitor", ("loss", "min"))
        self.monitor = self.config.monitor or default_name
        allowed = ("loss", *task.metric_names)
        if self.monitor not in allowed:
            raise ConfigError(f"training.monitor: could not resolve {self.monitor!r} among {list(allowed)}")
        if self.config.monitor_mode is not None:
            self.mode = self.config.monitor_mode
        elif self.monitor == default_name:
            self.mode = default_mode
        else:
            self.mode = "min" if "loss" in self.monitor else "max"

    # --------------------------------------------------------------------- fit
    def fit(self, task: TrainingTask, train_events: Sequence, val_events: Sequence,
            resume: bool = True) -> TrainResult:
        """Train, resuming from ``last.pt`` when it exists (unless ``resume`` is false).

        A run whose ``last.pt`` is marked finished is not trained again.  On glibc the process's
        ``malloc`` keeps freed memory for reuse from here on (:mod:`trackgnn.training._heap`).
        """
        import torch

        from trackgnn.training._heap import retain_freed_memory

        retain_freed_memory()  # the steps' freed tensors reused, not mapped afresh each step
        self._resolve_monitor(task)
        if not val_events and self.monitor != "loss":
            self.log(f"no validation events: monitoring the training loss instead of {self.monitor!r}")
            self.monitor, self.mode = "loss", "min"
        if not train_events:
            from trackgnn.errors import ConfigError

            raise ConfigError("data_split: no training events (the first entry must be >= 1)")
        import torch.utils.deterministic as torch_deterministic

        threads = torch.get_num_threads()
        deterministic = (torch.are_deterministic_algorithms_enabled(),
                         torch.is_deterministic_algorithms_warn_only_enabled(),
                         torch_deterministic.fill_uninitialized_memory)
        if self.config.threads is not None:
            torch.set_num_threads(self.config.threads)
        if self.config.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
            # NaN-filling every new tensor costs ~10 % of a GNN step and changes no result
            torch_deterministic.fill_uninitialized_memory = False
        try:
            return self._fit(task, train_events, val_events, resume)
        finally:
            torch.set_num_threads(threads)
            torch.use_deterministic_algorithms(deterministic[0], warn_only=deterministic[1])
            torch_deterministic.fill_uninitialized_memory = deterministic[2]

    def _fit(self, task: TrainingTask, train_events: Sequence, val_events: Sequence, resume: bool) -> TrainResult:
        import torch
        from tqdm import tqdm

        cfg, ctx = self.config, self.context
        task.model.to(ctx.device)
        optimizer = torch.optim.AdamW(task.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: cfg.lr_factor(e))
        start, best, bad_epochs, history, finished = 0, (None, None), 0, [], False
        self.run_id = uuid.uuid4().hex  # tells outputs of different runs apart; kept on resume
        if resume and self.last_path.is_file():
            state = load_checkpoint(self.last_path)
            compare_fingerprint(self.last_path, state.get("fingerprint", {}), self.fingerprint)
            load_model_state(self.last_path, task.model, state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            torch.set_rng_state(state["rng"])
            start, best = state["epoch"], (state["best_epoch"], state["best_value"])
            bad_epochs, history = state["bad_epochs"], list(state["history"])
            # a run that reached its epoch limit continues when the config now allows more epochs
            finished = state["finished"] and (state.get("stopped_early", False) or start >= cfg.max_epochs)
            self.run_id = state.get("run_id", self.run_id)
            self.log(f"resumed from {self.last_path} after epoch {start}"
                     + (" (training already finished)" if finished else ""))
        model = task.model
        if ctx.enabled:
            from torch.nn.parallel import DistributedDataParallel

            model = DistributedDataParallel(
                task.model, device_ids=[ctx.device] if ctx.device.startswith("cuda") else None)
        generator = torch.Generator()
        epoch = start
        while not finished and epoch < cfg.max_epochs:
            t0 = time.perf_counter()
            torch.manual_seed(epoch_seed(self.seed, epoch, ctx.rank))
            order_gen = torch.Generator().manual_seed(epoch_seed(self.seed, epoch))  # same on all ranks
            generator.manual_seed(epoch_seed(self.seed, epoch, ctx.rank) + 1)
            order = torch.randperm(len(train_events), generator=order_gen).tolist()
            events = shard(train_events, ctx, order)
            task.model.train()
            total = 0.0
            bar = tqdm(events, desc=f"epoch {epoch + 1}", leave=False, unit="event",
                       disable=not (cfg.progress and ctx.is_main))
            for event in bar:
                optimizer.zero_grad(set_to_none=True)
                loss = task.training_step(model, event, generator)
                loss.backward()
                if cfg.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(task.model.parameters(), cfg.grad_clip)
                optimizer.step()
                total += float(loss.detach())
            lr = optimizer.param_groups[0]["lr"]
            scheduler.step()
            task.model.eval()
            checked = not val_events or (epoch + 1) % cfg.val_every == 0 or epoch + 1 >= cfg.max_epochs
            with torch.no_grad():
                metrics = ({k: float(v) for k, v in task.validate(task.model, val_events).items()}
                           if val_events and checked else {})
            metrics = {"loss": ctx.mean(total / max(1, len(events))), **metrics}
            metrics["lr"] = lr
            metrics["seconds"] = time.perf_counter() - t0
            epoch += 1
            history.append({"epoch": epoch, **metrics})
            improved = checked and self._better(metrics[self.monitor], best[1])
            if improved:
                best, bad_epochs = (epoch, metrics[self.monitor]), 0
            elif checked:
                bad_epochs += 1
            stop = cfg.patience > 0 and bad_epochs >= cfg.patience
            finished = stop or epoch >= cfg.max_epochs
            shown = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items() if k not in ("lr", "seconds"))
            self.log(f"epoch {epoch}/{cfg.max_epochs}  {shown}  lr {metrics['lr']:.2e}  "
                     f"{metrics['seconds']:.1f}s" + ("  *" if improved else "")
                     + ("  (early stop)" if stop else ""))
            if ctx.is_main:
                state = self._state(task, optimizer, scheduler, epoch, best, bad_epochs, history, finished)
                if improved:
                    save_checkpoint(state, self.best_path)
                save_checkpoint(state, self.last_path)
            ctx.barrier()
        if best[0] is None:
            from trackgnn.errors import CheckpointError

            raise CheckpointError(f"{self.last_path}: no epoch improved {self.monitor!r} "
                                  f"(all values NaN?); no best checkpoint was written")
        return TrainResult(best_epoch=best[0], best_value=best[1], monitor=self.monitor,
                           epochs=epoch, stopped_early=epoch < cfg.max_epochs, history=history)
