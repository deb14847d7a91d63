"""Crash-safe file writes: a killed process leaves either the old file or the new one, never half.

``atomic_write_bytes`` writes a small file whole (settings, registries, caches); ``commit_temp`` is the
last step of any writer that streamed a big file under a temporary name (the converter's GGUFs).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not possible on every platform (Windows); the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def commit_temp(temp: Path, final: Path) -> None:
    """fsync ``temp`` (complete) and rename it over ``final``; the folder entry is synced too."""
    with temp.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(temp, final)
    fsync_dir(final.parent)


def remove_quietly(path: Path) -> None:
    """Delete a temporary file if it is there (a read-only folder refuses even that: nothing to do)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:64]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
