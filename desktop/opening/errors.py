"""Errors that carry a message meant for the user (one clear line, no traceback)."""

from __future__ import annotations


class OpeningError(Exception):
    """A failure the user can act on; ``str(err)`` is the whole message."""


class BadInput(OpeningError):
    """The user's text or parameters are not usable (CLI exit code 2)."""


class ModelError(OpeningError):
    """A model file is missing, not GGUF, damaged, or llama.cpp could not load it."""


class Cancelled(OpeningError):
    """The user cancelled the work."""
