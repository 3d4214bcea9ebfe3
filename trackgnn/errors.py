"""Exceptions that carry a message meant for the user.

Every error a user can cause (a bad file, a bad config, a missing checkpoint)
is raised as a subclass of :class:`TrackGNNError`.  The CLI prints its message
on one line and exits with status 2 instead of showing a traceback.
"""

from __future__ import annotations

__all__ = [
    "TrackGNNError",
    "DataFormatError",
    "ConfigError",
    "CheckpointError",
    "MissingInputError",
    "ResourceError",
]


class TrackGNNError(Exception):
    """Base class of all user-facing trackgnn errors."""


class DataFormatError(TrackGNNError, ValueError):
    """An input file is missing, malformed or inconsistent.

    The message names the file, the column and the offending value.
    """


class ConfigError(TrackGNNError, ValueError):
    """A configuration file has an unknown key, a wrong type or a bad value."""


class CheckpointError(TrackGNNError):
    """A checkpoint is missing, unreadable or does not match the model."""


class MissingInputError(TrackGNNError, FileNotFoundError):
    """A stage's input does not exist; the message says which command makes it."""


class ResourceError(TrackGNNError):
    """The machine ran out of memory or disk space; the message names the step or file and what to do."""
