"""Help ▸ Self-test: the core's self-test (opening.pipeline.self_test) on a thread of its own, its
one-line verdict in a message box — the same check as ``OpenING --self-test``, for a user who never
opens a terminal."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from opening.gui.strings import tr
from opening.pipeline.self_test import run_self_test


class SelfTestAction(QObject):
    finished = Signal(str, bool)
    """(verdict, passed), on the GUI thread."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.window = parent
        self.thread: threading.Thread | None = None
        self.finished.connect(self._show, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> bool:
        """Start the self-test (False: one is already running)."""
        if self.running:
            return False

        def work() -> None:
            result = run_self_test()
            self.finished.emit(result.verdict(), result.ok)

        self.thread = threading.Thread(target=work, name="opening-self-test", daemon=True)
        self.thread.start()
        return True

    @Slot(str, bool)
    def _show(self, verdict: str, passed: bool) -> None:
        icon = QMessageBox.Icon.Information if passed else QMessageBox.Icon.Warning
        box = QMessageBox(icon, tr("self_test_title"), verdict, parent=self.window)
        box.setObjectName("selfTestResult")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
