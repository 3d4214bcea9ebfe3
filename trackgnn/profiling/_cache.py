"""Where roofline results live, and the per-machine key that names them.

Machine ceilings are measured once per machine and reused by ``roofline app``.
The cache root is ``$TRACKGNN_CACHE_DIR`` when set (tests point it at a
temporary directory), else ``~/.cache/trackgnn``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from trackgnn.io import atomic_path

__all__ = ["cache_root", "machine_key", "load_cached_machine", "save_cached_machine"]


def cache_root() -> Path:
    """Root of trackgnn's roofline cache (``$TRACKGNN_CACHE_DIR/roofline``)."""
    base = os.environ.get("TRACKGNN_CACHE_DIR")
    root = Path(base) if base else Path.home() / ".cache" / "trackgnn"
    return root / "roofline"


def machine_key(cpu_model: str, n_cores: int, device_name: str) -> str:
    """Stable file-name-safe key: CPU model + usable cores + device name.

    Examples
    --------
    >>> machine_key("AMD EPYC", 2, "cpu")
    'amd-epyc_2c_cpu_...'  # doctest: +SKIP
    """
    raw = f"{cpu_model}|{n_cores}|{device_name}"
    slug = re.sub(r"[^a-z0-9]+", "-", f"{cpu_model}_{n_cores}c_{device_name}".lower()).strip("-")
    return f"{slug[:60]}_{hashlib.sha1(raw.encode()).hexdigest()[:8]}"


def _machine_path(key: str, quick: bool) -> Path:
    return cache_root() / "machine" / f"{key}{'_quick' if quick else ''}.json"


def load_cached_machine(key: str, quick: bool | None = None) -> dict[str, Any] | None:
    """Return the cached machine characterisation for ``key``, or None.

    ``quick=None`` prefers a full characterisation and falls back to a quick one.
    """
    options = [False, True] if quick is None else [quick]
    for q in options:
        path = _machine_path(key, q)
        if path.is_file():
            try:
                with open(path) as fh:
                    return json.load(fh)
            except (OSError, json.JSONDecodeError):
                continue  # unreadable cache entry: measure again (it is rewritten atomically)
    return None


def save_cached_machine(key: str, quick: bool, result: dict[str, Any]) -> Path:
    """Write ``result`` atomically into the cache and return its path."""
    path = _machine_path(key, quick)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(result, indent=2))
    return path
