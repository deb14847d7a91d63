"""The one logging set-up of every entry point (``opening``, ``opening-convert``, ``opening-desktop``):
``-v`` shows the app's own steps, ``-vv`` adds llama.cpp's log. The window also keeps a rotating log
file in the user's log folder (a double-clicked app has no terminal to show its errors in)."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

LOG_FILE = "opening-desktop.log"
LOG_BYTES = 1_000_000
LOG_KEEP = 3


def configure_logging(verbose: int, prog: str, *, log_file: Path | None = None) -> Path | None:
    """Logs to stderr (when there is one) and, with ``log_file``, to that rotating file at INFO level;
    returns the file actually opened (None: none asked for, or its folder cannot be written)."""
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    if sys.stderr is not None:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(level)
        stream.setFormatter(logging.Formatter(f"{prog}: %(name)s: %(message)s" if verbose else f"{prog}: %(message)s"))
        root.addHandler(stream)
    opened = None
    if log_file is not None:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            rotating = logging.handlers.RotatingFileHandler(log_file, maxBytes=LOG_BYTES, backupCount=LOG_KEEP, encoding="utf-8")
        except OSError as exc:
            logging.getLogger(__name__).warning("no log file (%s): %s", log_file, exc)
        else:
            rotating.setLevel(min(level, logging.INFO))
            rotating.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            root.addHandler(rotating)
            opened = log_file
            level = min(level, logging.INFO)
    root.setLevel(level)
    logging.getLogger("opening.llama").setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
    return opened
