"""``opening-desktop`` (and the bundle's ``OpenING``): open the window at once, then load the model in
the background.

Also the bundle's other entry points, answered before Qt is loaded: ``--self-test`` (the demo model end
to end, then the window built offscreen; one line and exit code 0 when all passed) and the model check's
child (``--probe-model FILE``: a frozen app has no ``python -m``). A windowed start logs to a rotating
file in the user's log folder, reports an uncaught error with that file's path, and hands over to a
window already running for the same user folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from opening import __version__
from opening.base import paths
from opening.base.logs import LOG_FILE, configure_logging
from opening.gui.options import add_gui_arguments

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


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
    parser.add_argument("dataset", nargs="?", help="open the Review tab on this dataset (as --review)")
    parser.add_argument("--self-test", action="store_true", help="run the bundled model end to end, print one line, exit")
    parser.add_argument("--quick", action="store_true", help="with --self-test: one example, 2 candidates of 8 tokens")
    parser.add_argument("--quit-after-show", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--screenshot", metavar="PNG", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    launched = time.time()
    _ensure_streams()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--probe-model"] and len(argv) == 2:  # the model check's child, in a frozen bundle
        from opening.llama.probe import child_main

        return child_main(argv[1])
    args = _parse(argv)
    args.review = args.review or args.dataset
    if args.self_test:
        return _self_test(args)
    log_file = configure_logging(args.verbose, "opening-desktop", log_file=paths.log_dir() / LOG_FILE)

    from PySide6.QtCore import QLocale, QTimer
    from PySide6.QtWidgets import QApplication

    from opening.base.settings import Settings
    from opening.gui import strings
    from opening.gui.crash import CrashReporter
    from opening.gui.main_window import MainWindow
    from opening.gui.single_instance import InstanceServer, ask_running_window

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("OpenING Desktop")
    app.setOrganizationName("OpenING")
    settings = Settings.load()
    strings.set_language(args.language or settings.language or strings.system_language(QLocale.system().name()))
    if not (args.quit_after_show or args.screenshot) and ask_running_window():
        print(strings.tr("already_running"), flush=True)
        return 0
    reporter = CrashReporter(log_file)
    reporter.install()
    window = MainWindow(settings, seed=args.seed)
    window.keep_state = not (args.quit_after_show or args.screenshot)
    if not settings.window_geometry:
        window.resize(1200, 760)
    instance = InstanceServer(window)
    instance.raiseRequested.connect(window.bring_to_front)
    app.aboutToQuit.connect(lambda: (setattr(window, "ask_before_quit", False), window.close()))  # saves, stops the engine
    window.show()
    if args.quit_after_show or args.screenshot:
        # the first event-loop turn after show(): the window has been exposed and painted
        QTimer.singleShot(0, lambda: _shown(window, launched, args.screenshot))
    else:
        QTimer.singleShot(0, lambda: window.start(args.model))
        if args.review:
            QTimer.singleShot(0, lambda: window.open_review(args.review))
    return app.exec()


def _shown(window: QWidget, launched: float, screenshot: str | None) -> None:
    if screenshot:
        window.grab().save(screenshot)
    print(f"shown {time.time():.6f} {time.time() - launched:.6f}", flush=True)
    window.close()


def _self_test(args: argparse.Namespace) -> int:
    """The core's self-test on the bundled model, then the window built offscreen; one line, exit 0/1."""
    from pathlib import Path

    from opening.pipeline.self_test import run_self_test

    configure_logging(args.verbose, "opening-desktop")
    result = run_self_test(Path(args.model) if args.model else None, quick=args.quick)
    window_ok = _window_builds()
    print(result.verdict() + ("" if not result.ok else "; the window builds" if window_ok else ""), flush=True)
    return 0 if result.ok and window_ok else 1


def _window_builds() -> bool:
    """Build the window offscreen (Qt's plugins, the widgets, the strings), show it, close it."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtWidgets import QApplication

        from opening.base.settings import Settings
        from opening.gui.main_window import MainWindow

        app = QApplication.instance() or QApplication(sys.argv[:1])
        window = MainWindow(Settings.load())
        window.keep_state = False
        window.show()
        app.processEvents()
        window.close()
        return True
    except Exception as exc:  # reported in the verdict
        print(f"self-test FAILED: the window could not be built ({type(exc).__name__}: {exc})", file=sys.stderr)
        return False
