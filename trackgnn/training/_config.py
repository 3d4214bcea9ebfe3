"""Typed settings of the generic training loop (the ``training:`` block of a stage config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["TrainingConfig"]


@dataclass
class TrainingConfig:
    """How a stage's model is optimised.

    Attributes
    ----------
    max_epochs : int
        Upper bound on epochs (one epoch = one optimiser step per training event).
    lr, weight_decay : float
        AdamW learning rate and decoupled weight decay.
    scheduler : {'cosine', 'step', 'none'}
        Learning-rate schedule per epoch, after ``warmup_epochs`` of linear warm-up.
    step_size, gamma : int, float
        ``step`` schedule: multiply the rate by ``gamma`` every ``step_size`` epochs.
    min_lr_factor : float
        ``cosine`` schedule: final rate as a fraction of ``lr``.
    patience : int
        Stop after this many validations without improvement of ``monitor`` (0: never stop early).
    val_every : int
        Validate after every ``val_every``-th epoch and after the last one (as Lightning's
        ``check_val_every_n_epoch``); the best checkpoint and early stopping follow the
        validated epochs.  A complete event's validation costs ~15 % of a GNN epoch on 2 cores.
    monitor : str or None
        Validation metric that decides the best checkpoint and early stopping
        (default: the task's ``default_monitor``).
    monitor_mode : {'max', 'min'} or None
        Whether larger is better (default: the task's choice for its default metric,
        else ``min`` for names containing "loss" and ``max`` otherwise).
    grad_clip : float or None
        Clip the gradient norm to this value.
    device : {'cpu', 'cuda', 'auto'}
        ``auto`` picks CUDA when available.
    progress : bool
        Show a progress bar over the events of each epoch (the epoch line is always printed).
    deterministic : bool
        Train with ``torch.use_deterministic_algorithms`` so that repeated runs with the same
        seed and the same thread count give bit-identical weights on CPU.  Without it, the
        backward of advanced indexing (``x[index]``) accumulates in a thread-dependent order and
        several threads round differently from run to run (weights agree to ~1e-3).
    threads : int or None
        Intra-op CPU threads while training (None: torch's default, one per core).  The thread
        count sets how float reductions are split, so bit-identical runs need the same count.
    """

    max_epochs: int = 10
    lr: float = 1e-3
    weight_decay: float = 1e-5
    scheduler: Literal["cosine", "step", "none"] = "cosine"
    warmup_epochs: int = 0
    step_size: int = 10
    gamma: float = 0.5
    min_lr_factor: float = 0.05
    patience: int = 0
    val_every: int = 1
    monitor: str | None = None
    monitor_mode: Literal["max", "min"] | None = None
    grad_clip: float | None = None
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    progress: bool = False
    deterministic: bool = False
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.max_epochs < 1:
            raise ValueError(f"max_epochs must be >= 1, got {self.max_epochs}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.val_every < 1:
            raise ValueError(f"val_every must be >= 1, got {self.val_every}")
        if self.warmup_epochs < 0 or self.patience < 0 or self.step_size < 1:
            raise ValueError("warmup_epochs and patience must be >= 0 and step_size >= 1, got "
                             f"{self.warmup_epochs}, {self.patience}, {self.step_size}")
        if not 0 < self.gamma <= 1 or not 0 <= self.min_lr_factor <= 1:
            raise ValueError(f"gamma must be in (0, 1] and min_lr_factor in [0, 1], got "
                             f"{self.gamma}, {self.min_lr_factor}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be >= 1 (or null for one per core), got {self.threads}")
        if self.grad_clip is not None and self.grad_clip <= 0:
            raise ValueError(f"grad_clip must be > 0, got {self.grad_clip}")

    def lr_factor(self, epoch: int) -> float:
        """Multiplier of ``lr`` during ``epoch`` (0-based)."""
        import math

        if epoch < self.warmup_epochs:
            return (epoch + 1) / (self.warmup_epochs + 1)
        t = epoch - self.warmup_epochs
        if self.scheduler == "step":
            return self.gamma ** (t // self.step_size)
        if self.scheduler == "cosine":
            span = max(1, self.max_epochs - self.warmup_epochs - 1)
            cos = 0.5 * (1 + math.cos(math.pi * min(t, span) / span))
            return self.min_lr_factor + (1 - self.min_lr_factor) * cos
        return 1.0
