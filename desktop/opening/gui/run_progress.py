"""The run's progress bar, at the right of the status bar: tokens generated and tokens per second while
candidates stream in, then the scoring percentage. It is always there (empty between runs), so showing
it never changes the status bar's height and nothing above it moves."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressBar, QWidget

from opening.gui.strings import tr

REFRESH_MS = 250
WIDTH = 280


class RunProgress(QProgressBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runProgress")
        self.setFixedWidth(WIDTH)
        self.setTextVisible(True)
        self.tokens = 0
        self._started = 0.0
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self._show_speed)
        self.idle()

    def idle(self) -> None:
        self._timer.stop()
        self.setRange(0, 1)
        self.setValue(0)
        self.setFormat("")

    def start(self, n: int, max_tokens: int) -> None:
        """A run of ``n`` candidates of at most ``max_tokens`` each begins."""
        self.tokens = 0
        self._started = time.monotonic()
        self.setRange(0, max(1, n * max_tokens))
        self.setValue(0)
        self._show_speed()
        self._timer.start()

    def piece(self, _index: int, _text: str) -> None:
        """One streamed piece: one token of one candidate."""
        self.tokens += 1

    def tokens_per_s(self) -> float:
        elapsed = time.monotonic() - self._started
        return self.tokens / elapsed if elapsed > 0 else 0.0

    def _show_speed(self) -> None:
        self.setValue(min(self.tokens, self.maximum()))
        self.setFormat(tr("progress_tokens", n=self.tokens, tps=self.tokens_per_s()))

    def scoring(self, fraction: float) -> None:
        self._timer.stop()
        self.setRange(0, 100)
        self.setValue(round(100 * fraction))
        self.setFormat(tr("progress_scoring", pct=100 * fraction))

    def done(self, seconds: float) -> None:
        """The run ended: what it generated, at what speed (kept until the next run)."""
        self._timer.stop()
        self.setRange(0, 1)
        self.setValue(1)
        self.setFormat(tr("progress_done", n=self.tokens, tps=self.tokens / seconds if seconds > 0 else 0.0))
