"""Keep the memory a training step frees for the next step, instead of handing it back to the kernel.

A training step allocates and frees the same few hundred MB of tensors over and over (a complete
event's sector: activations, gradients, gathered rows).  glibc's ``malloc`` serves blocks above its
``mmap`` threshold with fresh ``mmap`` calls and returns the top of its heap to the kernel once more
than ``M_TRIM_THRESHOLD`` is free, so every step touches freshly mapped pages again: on 2 cores the
GNN stage took ~270k minor page faults and ~0.6 s of system time per 16-step epoch, ~15 % of its
training time (``bench/train_heap.py``).  :func:`retain_freed_memory` raises the three thresholds
(``mallopt``), so freed blocks stay in the process's heap and are reused: the faults drop to 3-10k
per epoch; the peak resident memory stays the same (the same blocks are reused, up to
``TRIM_THRESHOLD`` bytes stay mapped between steps).

Only glibc has ``mallopt``; elsewhere (macOS, musl) nothing changes.  ``TRACKGNN_MALLOC=system``
leaves glibc's defaults (the benchmark's baseline).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["retain_freed_memory", "MALLOC_ENV"]

MALLOC_ENV = "TRACKGNN_MALLOC"
# mallopt's parameter numbers (glibc <malloc.h>)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
TRIM_THRESHOLD = 512 << 20  # free memory at the heap's top kept mapped
TOP_PAD = 64 << 20  # extra memory asked of the kernel each time the heap grows
MMAP_THRESHOLD = 32 << 20  # blocks served by mmap of their own: glibc's largest allowed value (64-bit)

_applied = False


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


def retain_freed_memory() -> bool:
    """Raise glibc's trim, top-pad and mmap thresholds for this process (once); True when they are
    set, False where there is no glibc or ``TRACKGNN_MALLOC=system`` asks for its defaults.

    Setting any of them turns off glibc's own threshold adaptation, so all three are set together
    (the trim threshold and top pad alone made a GNN epoch 2x slower: every block above 128 kB was mmapped).
    """
    global _applied
    if _applied:
        return True
    if os.environ.get(MALLOC_ENV, "").strip().lower() == "system":
        return False
    libc = _libc()
    if libc is None:
        return False
    ok = all(libc.mallopt(ctypes.c_int(param), ctypes.c_int(value)) == 1
             for param, value in ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD),
                                  (_M_TOP_PAD, TOP_PAD)))
    _applied = ok
    return ok
