"""What the download and convert dialogs share: a worker on a thread of its own, Start/Cancel buttons
that follow the job, and a clean stop when the dialog closes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from opening.base.errors import Cancelled, OpeningError
from opening.gui.strings import Words, error_words, tr


class JobWorker(QObject):
    """Base of the dialogs' workers: ``finish(work)`` reports the result or the failure as signals."""

    done = Signal(object)
    failed = Signal(object, bool)  # Words or text, cancelled

    def finish(self, work: Callable[[], object]) -> None:
        try:
            result = work()
        except Cancelled as exc:
            self.failed.emit(error_words(exc), True)
        except OpeningError as exc:
            self.failed.emit(error_words(exc), False)
        except Exception as exc:  # never let a worker exception vanish
            self.failed.emit(f"{type(exc).__name__}: {exc}", False)
        else:
            self.done.emit(result)


class BackgroundDialog(QDialog):
    finished_job = Signal()
    """On the GUI thread: the job ended (done, failed or cancelled)."""
    _start = Signal(object)

    # set by each dialog, with its slots _on_progress(...), _on_done(result) and cancel()
    start_button: QPushButton
    cancel_button: QPushButton
    status: QLabel
    bar: QProgressBar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job_thread: QThread | None = None

    def make_controls(self, prefix: str, *, start: str, start_name: str, note: str = "", steps: int = 1000) -> None:
        """The progress bar (``{prefix}Progress``), the status line (``{prefix}Status``), the Start button
        (``start_name``) and the Cancel button (``{prefix}Cancel``, enabled while a job runs)."""
        self.bar = QProgressBar()
        self.bar.setObjectName(f"{prefix}Progress")
        self.bar.setRange(0, steps)
        self.status = QLabel(note)
        self.status.setObjectName(f"{prefix}Status")
        self.status.setWordWrap(True)
        self.start_button = QPushButton(start)
        self.start_button.setObjectName(start_name)
        self.cancel_button = QPushButton(tr("cancel"))
        self.cancel_button.setObjectName(f"{prefix}Cancel")
        self.cancel_button.setEnabled(False)

    def lay_out(self, form: QFormLayout, *middle: QWidget) -> None:
        """The dialog's layout: ``form``, then ``middle``, the progress bar, the status line, and the
        Cancel / Start / Close row (Close is made here)."""
        self.close_button = QPushButton(tr("dl_close"))
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.cancel_button, self.start_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for widget in (*middle, self.bar, self.status):
            layout.addWidget(widget)
        layout.addLayout(buttons)

    def run_worker(self, worker: QObject, name: str) -> None:
        """Move ``worker`` (signals progress, done, failed) to its thread and wire it to this dialog."""
        self.worker = worker
        self.job_thread = QThread(self)
        self.job_thread.setObjectName(name)
        worker.moveToThread(self.job_thread)
        self._start.connect(worker.run)
        worker.progress.connect(self._on_progress)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        self.job_thread.start()

    def launch(self, job: object) -> None:
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._start.emit(job)

    @Slot(object, bool)
    def _on_failed(self, message: Words | str, cancelled: bool) -> None:
        self._ended()
        self.status.setText(self.cancelled_text(str(message)) if cancelled else tr("error", reason=message))
        self.finished_job.emit()

    def cancelled_text(self, message: str) -> str:
        return message

    def _ended(self) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def done(self, result: int) -> None:  # closing the dialog (Esc, Close, the window's X)
        self.cancel()
        if self.job_thread is not None:
            self.job_thread.quit()
            self.job_thread.wait()
        super().done(result)
