"""``opening-desktop``: open the window at once, then load the model in the background."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from opening import __version__
from opening.base.logs import configure_logging
from opening.gui.options import add_gui_arguments


def _ensure_streams() -> None:
    """A windowed bundle has no stdout/stderr; llama.cpp's quiet mode needs real file descriptors."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="opening-desktop", description="The OpenING Desktop window.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_gui_arguments(parser)
    parser.add_argument("-v", "--verbose", action="count", default=0)
    parser.add_argument("--quit-after-show", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    launched = time.time()
    _ensure_streams()
    args = _parse(sys.argv[1:] if argv is None else argv)
    configure_logging(args.verbose, "opening-desktop")

    from PySide6.QtCore import QLocale, QTimer
    from PySide6.QtWidgets import QApplication

    from opening.base.settings import Settings
    from opening.gui import strings
    from opening.gui.main_window import MainWindow

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
        QTimer.singleShot(0, lambda: (print(f"shown {time.time():.6f} {time.time() - launched:.6f}", flush=True), window.close()))
    else:
        QTimer.singleShot(0, lambda: window.start(args.model))
        if args.review:
            QTimer.singleShot(0, lambda: window.open_review(args.review))
    return app.exec()
