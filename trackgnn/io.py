"""Atomic file writes: a reader never sees a half-written output."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from trackgnn.errors import ResourceError

__all__ = ["atomic_path", "atomic_torch_save"]

#: A failed write with less free space than this on its file system is reported as a full disk.
_LOW_SPACE = 64 * 2**20


def _default_mode() -> int:
    """Permissions a plain ``open(path, "w")`` would give (0666 minus the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    If the body raises, the temporary file is removed and ``path`` is untouched.  A write that
    failed because the file system is full (``ENOSPC``, or any error while less than 64 MiB are
    free there: ``torch.save`` reports a short write as a ``RuntimeError``) becomes a
    :class:`~trackgnn.errors.ResourceError` naming ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, _default_mode())  # mkstemp creates 0600 files
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException as exc:
        free = _free_bytes(path.parent)  # before removing the partial file, which may have filled the disk
        tmp_path.unlink(missing_ok=True)
        if isinstance(exc, Exception) and (_is_no_space(exc) or free < _LOW_SPACE):
            raise ResourceError(f"{path}: could not write it, the disk holding {path.parent} is full "
                                f"({free / 2**20:.0f} MiB free); free some space and run the command again "
                                "(finished outputs and checkpoints are kept)") from exc
        raise


def _free_bytes(directory: Path) -> float:
    try:
        return float(shutil.disk_usage(directory).free)
    except OSError:
        return float("inf")


def _is_no_space(exc: BaseException | None) -> bool:
    """Whether ``exc`` or an exception it came from is an out-of-space ``OSError``."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def atomic_torch_save(obj: object, path: str | os.PathLike) -> None:
    """``torch.save`` through :func:`atomic_path`."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
