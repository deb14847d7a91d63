"""Models → Convert a checkpoint…: ``opening-convert`` with a progress bar, on a thread of its own.

Cancel stops while tensors are being written (the partial file is removed); llama.cpp's quantizer
cannot be interrupted, so during quantizing Cancel waits for it and then discards the result.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from opening.base.errors import Cancelled
from opening.gui.background_dialog import BackgroundDialog, JobWorker
from opening.gui.folders import start_dir
from opening.gui.strings import tr, window_message
from opening.models.registry import register
from opening_convert.types import ALL_TYPES, DEFAULT_TYPE

TYPES = (DEFAULT_TYPE, *(t for t in reversed(ALL_TYPES) if t != DEFAULT_TYPE))
"""The converter's types, its default first."""


class ConvertWorker(JobWorker):
    progress = Signal(str, float)

    @Slot(object)
    def run(self, job: tuple[Path, Path, str, threading.Event]) -> None:
        from opening_convert.job import convert  # numpy-heavy; imported off the GUI thread

        checkpoint, out, out_type, cancel = job

        def report(stage: str, fraction: float) -> None:
            if cancel.is_set() and stage == "writing":
                raise Cancelled(window_message("cv_cancelled_clean"))
            self.progress.emit(stage, fraction)

        def work() -> Path:
            convert(checkpoint, out, out_type, progress=report)
            if cancel.is_set():
                out.unlink(missing_ok=True)
                raise Cancelled(window_message("cv_cancelled_discarded"))
            register(out, "added")
            return out

        self.finish(work)


class ConvertDialog(BackgroundDialog):
    converted = Signal(object)  # Path of the new GGUF

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("convertDialog")
        self.setWindowTitle(tr("cv_title"))
        self.checkpoint = QLineEdit()
        self.checkpoint.setObjectName("checkpointEdit")
        self.checkpoint.setPlaceholderText(tr("cv_checkpoint_hint"))
        pick_in = QPushButton(tr("browse"))
        pick_in.clicked.connect(self._pick_checkpoint)
        self.output = QLineEdit()
        self.output.setObjectName("convertOutput")
        pick_out = QPushButton(tr("browse"))
        pick_out.clicked.connect(self._pick_output)
        self.kind = QComboBox()
        self.kind.setObjectName("convertType")
        self.kind.addItems(TYPES)
        self.make_controls("convert", start=tr("cv_start"), start_name="convertButton", note=tr("cv_note"))

        row_in, row_out = QHBoxLayout(), QHBoxLayout()
        row_in.addWidget(self.checkpoint, 1)
        row_in.addWidget(pick_in)
        row_out.addWidget(self.output, 1)
        row_out.addWidget(pick_out)
        form = QFormLayout()
        form.addRow(tr("cv_checkpoint"), row_in)
        form.addRow(tr("cv_output"), row_out)
        form.addRow(tr("cv_type"), self.kind)
        self.lay_out(form)
        self.resize(640, 260)

        self.cancel_event: threading.Event | None = None
        self.run_worker(ConvertWorker(), "opening-convert")
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)

    def _pick_checkpoint(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("cv_checkpoint"), start_dir(self.checkpoint.text()))
        if folder:
            self.checkpoint.setText(folder)
            if not self.output.text():
                self.output.setText(str(Path(folder).with_name(f"{Path(folder).name}.{self.kind.currentText()}.gguf")))

    def _pick_output(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, tr("cv_output"), start_dir(self.output.text()), tr("gguf_filter"))
        if name:
            self.output.setText(name)

    @Slot()
    def start(self) -> None:
        checkpoint, out = self.checkpoint.text().strip(), self.output.text().strip()
        if not checkpoint or not out:
            self.status.setText(tr("cv_need_paths"))
            return
        self.cancel_event = threading.Event()
        self.bar.setValue(0)
        self.launch((Path(checkpoint).expanduser(), Path(out).expanduser(), self.kind.currentText(), self.cancel_event))

    @Slot()
    def cancel(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()
            self.status.setText(tr("status_cancelling"))

    @Slot(str, float)
    def _on_progress(self, stage: str, fraction: float) -> None:
        self.bar.setValue(round(fraction * 1000))
        self.status.setText(tr("cv_" + stage, pct=100 * fraction))

    @Slot(object)
    def _on_done(self, out: Path) -> None:
        self._ended()
        self.bar.setValue(1000)
        self.status.setText(tr("cv_done", path=out))
        self.converted.emit(out)
        self.finished_job.emit()

    def _ended(self) -> None:
        self.cancel_event = None
        super()._ended()
