"""A process-wide on/off setting of the fast paths, switched for a block by a context manager."""

from __future__ import annotations

import contextlib
from typing import Iterator

__all__ = ["Switch"]


class Switch:
    """On (default) or off for the whole process; :meth:`turned` sets it within a ``with`` block
    (benchmarks and tests compare both sides in one process)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def __bool__(self) -> bool:
        return self.enabled

    @contextlib.contextmanager
    def turned(self, enabled: bool = True) -> Iterator[None]:
        previous, self.enabled = self.enabled, enabled
        try:
            yield
        finally:
            self.enabled = previous
