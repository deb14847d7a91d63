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
from opening.base.messages import Message, what_message


def _stat(path: Path, what: str | Message, error: type[OpeningError]) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise error("path.cannot_use_as", path=path, what=what_message(what), reason=describe_os_error(exc)) from None


def regular_file(path: Path, what: str | Message, error: type[OpeningError] = BadInput) -> os.stat_result:
    """``path`` must exist and be a regular file (a symlink to one is fine)."""
    if not str(path):
        raise error("path.none_given", what=what_message(what))
    st = _stat(path, what, error)
    if st is None:
        raise error("path.not_found", what=what_message(what), path=path)
    if stat.S_ISDIR(st.st_mode):
        raise error("path.is_folder_not", path=path, what=what_message(what))
    if not stat.S_ISREG(st.st_mode):
        raise error("path.not_regular", path=path, what=what_message(what))
    return st


def new_or_regular_file(path: Path, what: str | Message, error: type[OpeningError] = BadInput) -> os.stat_result | None:
    """``path`` may be missing (its folder must exist) or a regular file; returns its stat if it exists."""
    if not str(path) or path.name in ("", ".", ".."):
        raise error("path.none_given_file", what=what_message(what))
    st = _stat(path, what, error)
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise error("path.is_folder_give_file", path=path, example=path / "pairs.json")
        if not stat.S_ISREG(st.st_mode):
            raise error("path.not_regular", path=path, what=what_message(what))
        return st
    parent = _stat(path.parent, "what.folder", error)
    if parent is None or not stat.S_ISDIR(parent.st_mode):
        raise error("path.no_folder", path=path, folder=path.parent)
    return None


def inside(folder: Path, relative: str, what: str | Message) -> Path:
    """``folder / relative``, refused unless it stays inside ``folder`` (no absolute names, no ``..``)."""
    rel = Path(relative)
    if not relative or rel.is_absolute() or rel.drive or ".." in rel.parts or relative.startswith(("~", "/", "\\")):
        raise BadInput("path.not_relative", what=what_message(what), name=repr(relative))
    target = (folder / rel).resolve()
    base = folder.resolve()
    if target != base and base not in target.parents:
        raise BadInput("path.outside", what=what_message(what), name=repr(relative), folder=folder)
    return folder / rel


def plain_text(value: str, what: str | Message) -> str:
    """Refuse text that did not decode as UTF-8 (Python keeps such bytes as lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("text.not_utf8_what", what=what_message(what)) from None
    return value
