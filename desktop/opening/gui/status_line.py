"""The window's status line: one line that never changes height, so nothing below or beside it moves
when a message is long, wraps, is an error or is Chinese (a layout that jumped made clicks land on the
wrong control). A long message is elided where it is painted; the whole of it, with the last few
messages before it, is in the tooltip; ``text()`` is always the whole message."""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from opening.gui.strings import Words

ERROR_COLOUR = "#b00020"
HISTORY = 8


class StatusLine(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusLabel")
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.history: deque[str] = deque(maxlen=HISTORY)
        self.is_error = False
        self._when = ""
        """When the message shown now was said (it goes to the history with it)."""
        self._said: Words | str = ""
        """What is shown now, said again in the new language by :meth:`retranslate`."""
        self._fit_height()

    def say(self, message: Words | str, *, error: bool = False) -> None:
        """Show ``message`` (red when ``error``); the previous one moves to the history."""
        if self.text():
            self.history.appendleft(f"{self._when} {self.text()}")
        self._when = time.strftime("%H:%M:%S")
        self._said = message
        self.is_error = error
        palette = self.palette()
        default = (self.parentWidget().palette() if self.parentWidget() else QPalette()).color(QPalette.ColorRole.WindowText)
        palette.setColor(QPalette.ColorRole.WindowText, QColor(ERROR_COLOUR) if error else default)
        self.setPalette(palette)
        self._show()

    def retranslate(self) -> None:
        """The message shown now, in the current language (the history stays as it was said)."""
        self._show()

    def _show(self) -> None:
        text = str(self._said)
        self.setText(text)
        earlier = "\n".join(self.history)
        self.setToolTip(text + (f"\n\n{earlier}" if earlier else ""))

    def _fit_height(self) -> None:
        margins = self.contentsMargins()
        self.setFixedHeight(self.fontMetrics().height() + 4 + margins.top() + margins.bottom())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_height()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(" ".join(self.text().split()), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)
        align = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.style().drawItemText(painter, rect, align, self.palette(), self.isEnabled(), shown, QPalette.ColorRole.WindowText)
        painter.end()
