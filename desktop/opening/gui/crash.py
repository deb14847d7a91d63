"""What a double-clicked window does with an error nobody caught: write the traceback to the log file
and show a short message that says where the details are (instead of vanishing with no trace)."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from opening.gui.strings import tr

log = logging.getLogger("opening.crash")


class CrashReporter(QObject):
    """Installed as ``sys.excepthook`` and ``threading.excepthook``; the message box is always shown on
    the GUI thread (a worker's error is passed over by a queued signal)."""

    _show = Signal(str)

    def __init__(self, log_file: Path | None) -> None:
        super().__init__()
        self.log_file = log_file
        self.shown: list[str] = []
        self.boxes: list[QMessageBox] = []
        """Open message boxes (a parentless widget with no Python reference would be deleted at once)."""
        self._show.connect(self._message, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        sys.excepthook = self.hook
        threading.excepthook = lambda args: self.hook(args.exc_type, args.exc_value, args.exc_traceback)

    def hook(self, kind: type[BaseException], value: BaseException | None, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value or kind(), tb)
            return
        text = "".join(traceback.format_exception(kind, value, tb))
        log.critical("uncaught error:\n%s", text)
        self._show.emit(f"{kind.__name__}: {value}")

    @Slot(str)
    def _message(self, summary: str) -> None:
        where = str(self.log_file) if self.log_file else tr("crash_no_log")
        said = tr("crash_text", error=summary, log=where)
        self.shown.append(said)
        if QApplication.instance() is not None:
            box = QMessageBox(QMessageBox.Icon.Critical, tr("crash_title"), said)
            box.setObjectName("crashMessage")
            box.finished.connect(lambda _result, b=box: self.boxes.remove(b))
            self.boxes.append(box)
            box.show()  # not exec(): the window keeps working behind it
