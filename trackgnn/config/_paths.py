"""How relative paths are resolved: against the working directory (acorn's convention).

Every relative path in a config (``input_dir``, ``stage_dir``, ``processed_dir``, ``upstream``)
or on the command line is taken relative to the directory the command runs in, never the
config file's directory.  Messages about something not found say which directory that was.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["resolved_from"]


def resolved_from(path: str | os.PathLike) -> str:
    """`` (resolved relative to /the/working/dir)`` for a relative ``path``; ``""`` for an absolute one."""
    if Path(path).is_absolute():
        return ""
    return f" (resolved relative to {Path.cwd()})"
