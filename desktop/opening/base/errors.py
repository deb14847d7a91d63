"""Errors that carry a message meant for the user (one clear line, no traceback), and the user's words
for an operating-system error."""

from __future__ import annotations

import errno


class OpeningError(Exception):
    """A failure the user can act on; ``str(err)`` is the whole message."""


class BadInput(OpeningError):
    """The user's text, parameters or paths are not usable (CLI exit code 2)."""


class ModelError(OpeningError):
    """A model file is missing, not GGUF, damaged, or llama.cpp could not load it."""


class Cancelled(OpeningError):
    """The user cancelled the work."""


def describe_os_error(exc: OSError) -> str:
    """What an ``OSError`` means to a user: the disk is full, read-only, permission denied, …"""
    known = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the folder is on a read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENAMETOOLONG: "the file name is too long",
        errno.ENOENT: "no such file or folder",
        errno.EISDIR: "it is a folder",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.ELOOP: "too many symbolic links",
    }
    return known.get(exc.errno or 0) or exc.strerror or str(exc)
