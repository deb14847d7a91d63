"""The one logging set-up of every entry point (``opening``, ``opening-convert``, ``opening-desktop``):
``-v`` shows the app's own steps, ``-vv`` adds llama.cpp's log."""

from __future__ import annotations

import logging
import sys


def configure_logging(verbose: int, prog: str) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    if sys.stderr is not None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"{prog}: %(name)s: %(message)s" if verbose else f"{prog}: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("opening.llama").setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
