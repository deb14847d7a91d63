"""``opening-desktop``: open the window at once, then load the model in the background."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence

from .. import __version__



def _ensure_streams() -> None:
    """A windowed bundle has no stdout/stderr; llama.cpp's quiet mode needs real file descriptors."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="opening-desktop", description="The OpenING Desktop window.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--language", choices=("en", "zh"), help="interface language (default: the system's)")
    parser.add_argument("--model", metavar="PATH", help="open this GGUF instead of the usual one")
    parser.add_argument("--seed", type=int, metavar="N", help="fixed seed: the same text and parameters give the same run")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    parser.add_argument("--quit-after-show", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    launched = time.time()
    _ensure_streams()
    args = _parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2), format="%(name)s: %(message)s")

    from PySide6.QtCore import QLocale, QTimer
    from PySide6.QtWidgets import QApplication

    from ..settings import Settings
    from . import strings
    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("OpenING Desktop")
    app.setOrganizationName("OpenING")
    settings = Settings.load()
    strings.set_language(args.language or settings.language or strings.system_language(QLocale.system().name()))
    window = MainWindow(settings, seed=args.seed)
    if not settings.window_geometry:
        window.resize(1200, 760)
    app.aboutToQuit.connect(window.close)  # saves settings and stops the engine thread
    window.show()
    if args.quit_after_show:
        # the first event-loop turn after show(): the window has been exposed and painted
        QTimer.singleShot(0, lambda: (print(f"shown {time.time():.6f} {time.time() - launched:.6f}", flush=True),
                                      window.close()))
    else:
        QTimer.singleShot(0, lambda: window.start(args.model))
    return app.exec()

