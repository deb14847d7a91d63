"""Errors that carry a message meant for the user (one clear line, no traceback)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO


class OpeningError(Exception):
    """A failure the user can act on; ``str(err)`` is the whole message."""


class BadInput(OpeningError):
    """The user's text or parameters are not usable (CLI exit code 2)."""


class ModelError(OpeningError):
    """A model file is missing, not GGUF, damaged, or llama.cpp could not load it."""


class Cancelled(OpeningError):
    """The user cancelled the work."""


def exit_code_for(prog: str, action: Callable[[], int], *, stderr: TextIO | None = None) -> int:
    """Run a command; print an error as one line and map it to the exit code (2 bad input, 1 other
    failures, 130 interrupted) — the convention every console script of the project shares."""
    out = stderr or sys.stderr
    try:
        return action()
    except BadInput as exc:
        print(f"{prog}: error: {exc}", file=out)
        return 2
    except OpeningError as exc:
        print(f"{prog}: error: {exc}", file=out)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=out)
        return 130
