"""The generic training loop: determinism, checkpoints, resume, early stopping, errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from trackgnn.errors import CheckpointError, ConfigError
from trackgnn.training import Trainer, TrainingConfig, load_checkpoint, load_model_state


class Interrupt(Exception):
    pass


class LinearTask:
    """Fit y = 2 x0 - x1 with noise drawn from the trainer's generator."""

    metric_names = ("mse",)
    default_monitor = ("mse", "min")

    def __init__(self, hidden: int = 4, fail_at_step: int | None = None):
        self.model = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.steps = 0
        self.fail_at_step = fail_at_step

    def training_step(self, model, event, generator):
        self.steps += 1
        if self.fail_at_step is not None and self.steps == self.fail_at_step:
            raise Interrupt("simulated crash")
        x, y = event
        noise = 0.01 * torch.randn(y.shape, generator=generator)
        return ((model(x).squeeze(-1) - y - noise) ** 2).mean()

    def validate(self, model, events):
        return {"mse": float(sum(((model(x).squeeze(-1) - y) ** 2).mean() for x, y in events) / len(events))}


def _events(n, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        x = torch.randn(64, 2, generator=g)
        out.append((x, 2 * x[:, 0] - x[:, 1]))
    return out


TRAIN, VAL = _events(6, 0), _events(2, 1)


def _fit(tmp_path, epochs=4, seed=0, task=None, resume=True, fail_at_step=None, **cfg):
    torch.manual_seed(seed)
    task = task or LinearTask(fail_at_step=fail_at_step)
    trainer = Trainer(TrainingConfig(max_epochs=epochs, lr=0.01, **cfg), tmp_path, seed=seed,
                      record={"model": {"hidden": 4}}, fingerprint={"model": {"hidden": 4}},
                      log=lambda line: None)
    return task, trainer.fit(task, TRAIN, VAL, resume=resume)


def _weights(task):
    return [p.detach().clone() for p in task.model.parameters()]


def test_training_reduces_loss_and_is_deterministic(tmp_path):
    a, result = _fit(tmp_path / "a")
    b, _ = _fit(tmp_path / "b")
    history = result["history"]
    assert history[-1]["mse"] < history[0]["mse"]
    assert result["monitor"] == "mse" and result["epochs"] == 4
    for wa, wb in zip(_weights(a), _weights(b)):
        assert torch.equal(wa, wb)
    c, _ = _fit(tmp_path / "c", seed=1)
    assert not torch.equal(_weights(a)[0], _weights(c)[0])


def test_checkpoint_is_weights_only_and_complete(tmp_path):
    _fit(tmp_path, epochs=2)
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert {"model", "optimizer", "scheduler", "epoch", "rng", "config", "history"} <= set(state)
    assert state["epoch"] == 2 and state["finished"] is True
    assert state["config"] == {"model": {"hidden": 4}}
    assert (tmp_path / "best.pt").is_file()


def test_resume_after_crash_matches_uninterrupted_run(tmp_path):
    full, _ = _fit(tmp_path / "full", epochs=4)
    with pytest.raises(Interrupt):
        _fit(tmp_path / "crash", epochs=4, fail_at_step=len(TRAIN) * 2 + 3)
    assert load_checkpoint(tmp_path / "crash" / "last.pt")["epoch"] == 2
    resumed, result = _fit(tmp_path / "crash", epochs=4)
    assert result["epochs"] == 4 and len(result["history"]) == 4
    for wa, wb in zip(_weights(full), _weights(resumed)):
        assert torch.equal(wa, wb)


def test_finished_run_is_not_trained_again(tmp_path):
    _fit(tmp_path, epochs=2)
    task = LinearTask()
    _, result = _fit(tmp_path, epochs=2, task=task)
    assert task.steps == 0 and result["epochs"] == 2


def test_finished_run_continues_when_more_epochs_are_allowed(tmp_path):
    _fit(tmp_path, epochs=2)
    task = LinearTask()
    _, result = _fit(tmp_path, epochs=3, task=task)
    assert task.steps == len(TRAIN) and result["epochs"] == 3 and len(result["history"]) == 3


def test_without_validation_events_the_training_loss_is_monitored(tmp_path):
    torch.manual_seed(0)
    trainer = Trainer(TrainingConfig(max_epochs=2, lr=0.01), tmp_path, log=lambda line: None)
    result = trainer.fit(LinearTask(), TRAIN, [])
    assert result["monitor"] == "loss" and result["best_epoch"] >= 1


def test_early_stopping(tmp_path):
    _, result = _fit(tmp_path, epochs=20, patience=2, monitor="mse", monitor_mode="max")
    assert result["stopped_early"] and result["epochs"] == 3 and result["best_epoch"] == 1


def test_unknown_monitor_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"training\.monitor: could not resolve 'accuracy' among \['loss', 'mse'\]"):
        _fit(tmp_path, monitor="accuracy")


def test_corrupt_missing_and_mismatched_checkpoints(tmp_path):
    (tmp_path / "last.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"last\.pt: corrupt or unreadable checkpoint"):
        _fit(tmp_path)
    with pytest.raises(CheckpointError, match=r"nope\.pt: checkpoint not found; train the stage first with `trackgnn train x\.yaml`"):
        load_checkpoint(tmp_path / "nope.pt", command_hint="trackgnn train x.yaml")
    good = tmp_path / "good"
    _fit(good, epochs=1)
    trainer = Trainer(TrainingConfig(max_epochs=2), good, fingerprint={"model": {"hidden": 8}})
    with pytest.raises(CheckpointError, match=r"trained with model\.hidden = 4 but the config says 8"):
        trainer.fit(LinearTask(hidden=8), TRAIN, VAL)
    state = load_checkpoint(good / "best.pt")
    with pytest.raises(CheckpointError, match=r"best\.pt: checkpoint does not match the model"):
        load_model_state(good / "best.pt", LinearTask(hidden=8).model, state["model"])


def test_training_config_ranges():
    with pytest.raises(ValueError, match="max_epochs must be >= 1, got 0"):
        TrainingConfig(max_epochs=0)
    cfg = TrainingConfig(max_epochs=5, warmup_epochs=1, scheduler="cosine", min_lr_factor=0.1)
    assert cfg.lr_factor(0) == pytest.approx(0.5) and cfg.lr_factor(1) == pytest.approx(1.0)
    assert cfg.lr_factor(4) == pytest.approx(0.1)
    assert TrainingConfig(scheduler="step", step_size=2, gamma=0.5).lr_factor(5) == pytest.approx(0.25)


class GatherTask:
    """Pull random pairs of table rows together: the backward of ``table[index]`` accumulates
    many gradients into each row, in a thread-dependent order unless kernels are deterministic."""

    metric_names = ("loss",)
    default_monitor = ("loss", "min")

    def __init__(self):
        self.model = nn.Embedding(50_000, 8)

    def training_step(self, model, event, generator):
        pairs = torch.randint(0, 50_000, (2, 1_000_000), generator=generator)
        return (model.weight[pairs[0]] - model.weight[pairs[1]]).pow(2).sum(-1).mean()

    def validate(self, model, events):
        return {"loss": float(model.weight.pow(2).mean())}


def test_deterministic_kernels_give_bit_identical_multithreaded_runs(tmp_path):
    import torch.utils.deterministic as torch_deterministic

    threads, flag = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    fill = torch_deterministic.fill_uninitialized_memory
    weights = []
    for run in ("a", "b"):
        torch.manual_seed(0)
        task = GatherTask()
        trainer = Trainer(TrainingConfig(max_epochs=2, lr=0.01, deterministic=True, threads=2),
                          tmp_path / run, seed=0, log=lambda line: None)
        trainer.fit(task, [None], [None])
        weights.append(task.model.weight.detach().clone())
    assert torch.equal(weights[0], weights[1])
    assert torch.get_num_threads() == threads and torch.are_deterministic_algorithms_enabled() == flag
    assert torch_deterministic.fill_uninitialized_memory == fill


def test_threads_must_be_positive():
    with pytest.raises(ValueError, match="threads"):
        TrainingConfig(threads=0)


class CountingTask(LinearTask):
    def __init__(self):
        super().__init__()
        self.validations = 0

    def validate(self, model, events):
        self.validations += 1
        return super().validate(model, events)


def test_val_every_validates_every_nth_and_the_last_epoch(tmp_path):
    task = CountingTask()
    _, result = _fit(tmp_path, epochs=5, task=task, val_every=2)
    assert task.validations == 3
    assert [("mse" in h) for h in result["history"]] == [False, True, False, True, True]
    assert result["best_epoch"] in (2, 4, 5) and result["epochs"] == 5
    assert load_checkpoint(tmp_path / "best.pt")["epoch"] == result["best_epoch"]
    with pytest.raises(ValueError, match="val_every"):
        TrainingConfig(val_every=0)
