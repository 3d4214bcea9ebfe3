"""The registry of track builders and a configurable :class:`TrackBuilder`."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from trackgnn.errors import ConfigError
from trackgnn.tracking._connected_components import connected_components
from trackgnn.tracking._dbscan import dbscan
from trackgnn.tracking._graph import ScoredGraph
from trackgnn.tracking._walkthrough import walkthrough

__all__ = ["TRACK_BUILDERS", "TrackBuilder", "build_tracks", "resolve_track_builder"]

BuilderFunction = Callable[..., np.ndarray]

#: name → function(graph: ScoredGraph, **options) -> (N,) labels.
TRACK_BUILDERS: dict[str, BuilderFunction] = {
    "connected_components": connected_components,
    "dbscan": dbscan,
    "walkthrough": walkthrough,
}


def resolve_track_builder(name: str) -> BuilderFunction:
    """The builder function registered as ``name``.

    Raises
    ------
    ConfigError
        ``could not resolve 'x' among [...]``.
    """
    try:
        return TRACK_BUILDERS[name]
    except KeyError:
        raise ConfigError(f"track builder: could not resolve {name!r} among {sorted(TRACK_BUILDERS)}") from None


def _options_of(function: BuilderFunction) -> dict[str, Any]:
    return {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


@dataclass(frozen=True)
class TrackBuilder:
    """A track builder chosen by name, with its options checked once.

    Parameters
    ----------
    method : str
        One of :data:`TRACK_BUILDERS`.
    options : dict
        Keyword options of that builder (unknown names or wrong types are errors
        listing the allowed options and their defaults).

    Examples
    --------
    >>> builder = TrackBuilder("walkthrough", {"score_cut": 0.6})
    >>> labels = builder(graph)  # doctest: +SKIP
    """

    method: str = "walkthrough"
    options: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        function = resolve_track_builder(self.method)
        allowed = _options_of(function)
        options = dict(self.options or {})
        for key, value in options.items():
            if key not in allowed:
                listing = ", ".join(f"{k}={v!r}" for k, v in allowed.items())
                raise ConfigError(f"track builder {self.method!r}: unknown option {key!r}; allowed: {listing}")
            default = allowed[key]
            if isinstance(default, bool) and not isinstance(value, bool):
                raise ConfigError(f"track builder {self.method!r}: option {key!r} must be true or false, got {value!r}")
            numeric = isinstance(default, (int, float)) and not isinstance(default, bool)
            if numeric and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ConfigError(f"track builder {self.method!r}: option {key!r} must be a number, got {value!r}")
            if numeric and not np.isfinite(value):
                raise ConfigError(f"track builder {self.method!r}: option {key!r} must be a finite number, "
                                  f"got {value!r}")
            if isinstance(default, int) and not isinstance(default, bool) and not isinstance(value, int):
                raise ConfigError(f"track builder {self.method!r}: option {key!r} must be an integer, got {value!r}")
            if isinstance(default, str) and not isinstance(value, str):
                raise ConfigError(f"track builder {self.method!r}: option {key!r} must be a string, got {value!r}")
        object.__setattr__(self, "options", options)

    def __call__(self, graph: ScoredGraph) -> np.ndarray:
        """(N,) int64 track label per hit, −1 for hits in no track."""
        return TRACK_BUILDERS[self.method](graph, **self.options)


def build_tracks(graph: ScoredGraph, method: str = "walkthrough", **options: Any) -> np.ndarray:
    """Label the hits of ``graph`` with the builder ``method`` (see :data:`TRACK_BUILDERS`)."""
    return TrackBuilder(method, options)(graph)
