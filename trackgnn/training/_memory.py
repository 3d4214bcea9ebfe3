"""Out-of-memory during model building, training or inference as a clear user error.

A size that passes the config's sanity bounds (:mod:`trackgnn.config`) can still be too
large for the machine.  :func:`out_of_memory_guard` turns the allocator's failure (CPU
``RuntimeError`` "DefaultCPUAllocator: can't allocate memory", CUDA
``torch.cuda.OutOfMemoryError``, numpy's ``MemoryError``) into a
:class:`~trackgnn.errors.ResourceError` that names the step and the settings to lower.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any, Iterator, Sequence

from trackgnn.errors import ResourceError

__all__ = ["is_out_of_memory", "out_of_memory_guard", "setting_values"]

_CPU_MESSAGES = ("can't allocate memory", "not enough memory", "out of memory")
_BYTES = re.compile(r"tried to allocate (\d+) bytes", re.IGNORECASE)
_SIZE = re.compile(r"(?:tried to|unable to) allocate ([\d.]+ ?[KMGTP]i?B)", re.IGNORECASE)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for an allocation failure of torch (CPU, CUDA, MPS) or numpy."""
    import torch

    if isinstance(exc, (MemoryError, torch.cuda.OutOfMemoryError)):
        return True
    return isinstance(exc, RuntimeError) and any(m in str(exc).lower() for m in _CPU_MESSAGES)


def _requested(exc: BaseException) -> str:
    """`` (tried to allocate 372.53 GiB)`` from the allocator's message, or ``""``."""
    text = str(exc)
    match = _BYTES.search(text)
    if match:
        return f" (tried to allocate {int(match.group(1)) / 2**30:.2f} GiB)"
    match = _SIZE.search(text)
    return f" (tried to allocate {match.group(1)})" if match else ""


def setting_values(config: Any, names: Sequence[str]) -> list[str]:
    """``["model.hidden (now 256)", ...]``: dotted setting names of ``config`` with their values."""
    shown = []
    for name in names:
        value: Any = config
        for part in name.split("."):
            value = getattr(value, part, None)
        shown.append(f"{name} (now {value})")
    return shown


@contextlib.contextmanager
def out_of_memory_guard(where: str, step: str, settings: Sequence[str] = ()) -> Iterator[None]:
    """Re-raise an allocation failure inside the block as :class:`ResourceError`.

    Parameters
    ----------
    where : str
        What the message starts with, usually the config file.
    step : str
        What was running, e.g. ``"building the gnn model"``.
    settings : sequence of str
        The settings to lower, most effective first (see :func:`setting_values`).
    """
    try:
        yield
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        advice = (f"lower {', '.join(settings[:-1])} or {settings[-1]}" if len(settings) > 1
                  else f"lower {settings[0]}" if settings else "use smaller sizes")
        raise ResourceError(f"{where}: out of memory while {step}{_requested(exc)}; {advice}, "
                            f"or run on a machine with more memory") from None
