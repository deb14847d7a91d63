"""Paths the user gives, checked once at the edge for what they must be, with the reason in the message.

Everything here stats without opening: a FIFO or a device given as a text, model or dataset file would
otherwise hang the first ``open``. Over-long names and other ``OSError``s become messages, never
tracebacks.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from opening.base.errors import BadInput, OpeningError, describe_os_error


def _stat(path: Path, what: str, error: type[OpeningError]) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise error(f"cannot use {path} as the {what}: {describe_os_error(exc)}") from None


def regular_file(path: Path, what: str, error: type[OpeningError] = BadInput) -> os.stat_result:
    """``path`` must exist and be a regular file (a symlink to one is fine)."""
    if not str(path):
        raise error(f"no {what} given (an empty name)")
    st = _stat(path, what, error)
    if st is None:
        raise error(f"{what} not found: {path}")
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{path} is a folder, not a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{path} is not a regular file (a pipe, socket or device?); give a {what}")
    return st


def new_or_regular_file(path: Path, what: str, error: type[OpeningError] = BadInput) -> os.stat_result | None:
    """``path`` may be missing (its folder must exist) or a regular file; returns its stat if it exists."""
    if not str(path) or path.name in ("", ".", ".."):
        raise error(f"no {what} given: name a file, such as pairs.json")
    st = _stat(path, what, error)
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise error(f"{path} is a folder; give a file name such as {path / 'pairs.json'}")
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{path} is not a regular file (a pipe, socket or device?); give a {what}")
        return st
    parent = _stat(path.parent, "folder", error)
    if parent is None or not stat.S_ISDIR(parent.st_mode):
        raise error(f"cannot use {path}: the folder {path.parent} does not exist")
    return None


def inside(folder: Path, relative: str, what: str) -> Path:
    """``folder / relative``, refused unless it stays inside ``folder`` (no absolute names, no ``..``)."""
    rel = Path(relative)
    if not relative or rel.is_absolute() or rel.drive or ".." in rel.parts or relative.startswith(("~", "/", "\\")):
        raise BadInput(f"{what} {relative!r} must be a plain relative name (no absolute path, no '..')")
    target = (folder / rel).resolve()
    base = folder.resolve()
    if target != base and base not in target.parents:
        raise BadInput(f"{what} {relative!r} leads outside {folder}; refusing it")
    return folder / rel


def plain_text(value: str, what: str) -> str:
    """Refuse text that did not decode as UTF-8 (Python keeps such bytes as lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput(f"{what} is not valid UTF-8 text") from None
    return value
