"""Errors that carry a message meant for the user (one clear line, no traceback), by message id so the
window can say it in its language, and the user's words for an operating-system error."""

from __future__ import annotations

import errno
from typing import Any

from opening.base.messages import Message


class OpeningError(Exception):
    """A failure the user can act on; ``str(err)`` is the whole message in English, ``err.message`` the
    :class:`~opening.base.messages.Message` to render in another language."""

    def __init__(self, key: str | Message, /, **values: object) -> None:
        self.message = key if isinstance(key, Message) else Message(key, values)
        super().__init__(str(self.message))

    def text(self, language: str) -> str:
        return self.message.render(language)

    def __reduce__(self) -> tuple[Any, ...]:  # pickled across processes (batch workers, Ray) as its message
        return (type(self), (self.message,))


class BadInput(OpeningError):
    """The user's text, parameters or paths are not usable (CLI exit code 2)."""


class ModelError(OpeningError):
    """A model file is missing, not GGUF, damaged, or llama.cpp could not load it."""


class Cancelled(OpeningError):
    """The user cancelled the work."""


_OS_REASONS = {
    errno.ENOSPC: "os.disk_full",
    errno.EDQUOT: "os.quota",
    errno.EROFS: "os.read_only",
    errno.EACCES: "os.permission",
    errno.EPERM: "os.permission",
    errno.ENAMETOOLONG: "os.name_too_long",
    errno.ENOENT: "os.not_found",
    errno.EISDIR: "os.is_folder",
    errno.ENOTDIR: "os.not_folder",
    errno.ELOOP: "os.links",
}


def describe_os_error(exc: OSError) -> Message:
    """What an ``OSError`` means to a user: the disk is full, read-only, permission denied, …"""
    key = _OS_REASONS.get(exc.errno or 0)
    return Message(key) if key else Message.verbatim(exc.strerror or str(exc))
