"""Paths the user gives, checked once at the edge for what they must be, with the reason in the message.

Everything here stats without opening: a FIFO or a device given as a text, model or dataset file would
otherwise hang the first ``open``. Over-long names and other ``OSError``s become messages, never
tracebacks.
"""

from __future__ import annotations

import os
import stat
import tempfile
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


def same_file(a: Path, b: Path) -> bool:
    """``a`` and ``b`` name one file (a link, a hard link, ``..`` and case games included); False if either
    is missing or cannot be looked at."""
    try:
        return a.resolve() == b.resolve() or os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def dangling_link_on_the_way(path: Path) -> Path | None:
    """The first symbolic link among ``path`` and its parents that points nowhere (making the folders on
    the way would create them wherever it points), else None."""
    for part in (path, *path.parents):
        try:
            if part.is_symlink() and not part.exists():
                return part
        except OSError:
            return part
    return None


def may_write(target: Path, inputs: tuple[Path, ...] = (), what: str | Message = "what.output") -> Path:
    """One home for "may I write here": ``target`` is never one of ``inputs`` (the file a command reads
    is not the file it replaces), never reached through a link that points nowhere, and is a regular file
    or a new name (see :func:`new_or_regular_file`). Writers that replace only their own earlier output
    check that themselves (an export's LLaMA-Factory entry, a merge's earlier result, an extract's
    output) and refuse anything else by name."""
    for source in inputs:
        if same_file(target, source):
            raise BadInput("path.onto_input", path=target, what=what_message(what))
    link = dangling_link_on_the_way(target)
    if link is not None:
        raise BadInput("path.dangling_link", path=target, link=link)
    new_or_regular_file(target, what)
    return target


def writable_folder(folder: Path) -> None:
    """Refuse now, before any work, a folder where nothing can be written (read-only, no permission, full):
    a temporary file is made and removed there."""
    try:
        fd, name = tempfile.mkstemp(prefix=".opening-probe-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise BadInput("path.cannot_write", path=folder, reason=describe_os_error(exc)) from None


def plain_text(value: str, what: str | Message) -> str:
    """Refuse text that did not decode as UTF-8 (Python keeps such bytes as lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("text.not_utf8_what", what=what_message(what)) from None
    return value
