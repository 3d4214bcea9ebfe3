"""A trained stage ready to run on one event in memory: its network and its named inference steps.

:meth:`trackgnn.stages.Stage.load_trained` is the one way to run a trained stage:
``trackgnn infer`` (files), the in-memory chain behind ``evaluate`` and
``reconstruct``, and the roofline all call the :class:`TrainedStage` it returns.
A stage's inference is a short list of named :class:`Step` objects (the embedding
stage: ``embedding`` then ``graph_building``; the GNN stage: ``gnn`` then
``track_building``); whoever runs them may wrap each in a :data:`StepHook`
(a timer, the roofline profiler, an NVTX range).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:
    from torch import nn

    from trackgnn.stages._base import Stage
    from trackgnn.stages._config import StageConfig

__all__ = ["Step", "StepHook", "TrainedStage", "run_step", "shallow_copy"]


@dataclass(frozen=True)
class Step:
    """One named inference step: ``run(input) -> output``, never modifying its input.

    ``owner`` is the :class:`TrainedStage` the step belongs to (None for steps of the
    chain itself, such as preprocessing); cost models read its public ``model`` and ``config``.
    """

    name: str
    run: Callable[[Any], Any]
    owner: "TrainedStage | None" = None


#: ``hook(step, input) -> output``: runs ``step`` on ``input`` (and may time or profile it).
StepHook = Callable[[Step, Any], Any]


def run_step(step: Step, item: Any) -> Any:
    """The plain :data:`StepHook`: run the step once."""
    return step.run(item)


def shallow_copy(data: Any) -> Any:
    """A copy of event ``data`` sharing its tensors: setting or deleting an attribute of the
    copy leaves ``data`` as it was (what lets a step run twice on the same input)."""
    return copy.copy(data)


class TrainedStage:
    """A stage's trained network (in eval mode on ``device``) and its inference steps.

    Call it on one event ``Data`` as the stage's input directory holds it (hard cuts
    applied or not): it adds the stage's input features (:meth:`Stage.prepare_event`),
    runs every step and returns the output event; the input is not modified.

    Attributes
    ----------
    stage : Stage
    config : StageConfig
    model : nn.Module
        The trained network (what cost models and callers may inspect).
    device : str
    steps : list of Step
    """

    def __init__(self, stage: "Stage", config: "StageConfig", model: "nn.Module", device: str,
                 steps: Sequence[tuple[str, Callable[[Any], Any]]]) -> None:
        self.stage = stage
        self.config = config
        self.model = model
        self.device = device
        first, *rest = steps

        def prepare_and_run(data: Any, first_run: Callable[[Any], Any] = first[1]) -> Any:
            return first_run(stage.prepare_event(config, shallow_copy(data)))

        self.steps = [Step(first[0], prepare_and_run, self)] + [Step(name, run, self) for name, run in rest]

    @property
    def name(self) -> str:
        return self.stage.name

    @property
    def step_names(self) -> list[str]:
        return [step.name for step in self.steps]

    def __call__(self, data: Any, hook: StepHook = run_step) -> Any:
        """The stage's output event for input event ``data``; ``hook`` runs each step.

        Out of memory is a :class:`~trackgnn.errors.ResourceError` naming the settings to lower
        (:meth:`Stage.memory_guard`).
        """
        import torch

        with torch.no_grad(), self.stage.memory_guard(self.config, "infer"):
            for step in self.steps:
                data = hook(step, data)
        return data

    def event_counts(self, data: Any) -> Any:
        """Additive edge metrics of one output event (:meth:`Stage.event_counts`)."""
        return self.stage.event_counts(data)

    def __repr__(self) -> str:
        return f"TrainedStage({self.name!r}, steps={self.step_names}, device={self.device!r})"
