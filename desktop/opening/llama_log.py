"""Route llama.cpp's log lines into Python logging, and keep the last error lines for messages.

llama-cpp-python prints every llama.cpp log line to stderr by default; a CLI whose stdout and stderr
are read by people and scripts must not do that. Lines go to the ``opening.llama`` logger at DEBUG
(warnings and errors at their own levels); the last few error lines are kept so that a failed load
can say *why* in one line.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import threading

import llama_cpp

log = logging.getLogger("opening.llama")

_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.WARNING, 3: logging.ERROR, 4: logging.DEBUG}
_recent_errors: collections.deque[str] = collections.deque(maxlen=8)
_lock = threading.Lock()
_installed = False
_last_level = logging.DEBUG


@llama_cpp.llama_log_callback
def _callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    global _last_level
    py_level = _last_level if level == 5 else _LEVELS.get(level, logging.DEBUG)
    _last_level = py_level
    line = text.decode("utf-8", errors="replace").rstrip("\n")
    if not line:
        return
    if py_level >= logging.ERROR:
        with _lock:
            _recent_errors.append(line.strip())
    # llama.cpp's warnings are mostly about the model file's metadata; keep them for -v
    log.log(logging.DEBUG if py_level < logging.ERROR else logging.INFO, "%s", line)


def install() -> None:
    """Install the callback once per process (idempotent)."""
    global _installed
    if not _installed:
        llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))
        _installed = True


def take_recent_errors() -> list[str]:
    """Return and forget the error lines llama.cpp logged since the last call."""
    with _lock:
        lines = list(_recent_errors)
        _recent_errors.clear()
    return lines
