"""The Review tab's Export dialog: a format, which statuses, where to; the export runs on a thread of
its own (a 100k-record dataset never freezes the window), can be cancelled, and says what it wrote.

The export itself is :func:`opening.data.export.export` (streaming, atomic): the dialog only gathers
the three choices and shows progress. While it is open the window takes no input (it is window-modal),
so the review cannot change the file under the export.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from opening.base.errors import Cancelled
from opening.data.export import DEFAULT_EXCLUDED, EXPORT_FORMATS, STATUSES, ExportReport, default_target, export
from opening.gui.background_dialog import BackgroundDialog, JobWorker
from opening.gui.review_model import status_label
from opening.gui.strings import tr, window_message
from opening.pipeline.templates import generator_prompt


class ExportWorker(JobWorker):
    progress = Signal(int)
    """Records read so far."""

    @Slot(object)
    def run(self, job: tuple[Path, str, Path, tuple[str, ...], threading.Event]) -> None:
        dataset, fmt, target, statuses, cancel = job

        def watch(n: int) -> None:
            if cancel.is_set():
                raise Cancelled(window_message("ex_cancelled"))
            self.progress.emit(n)

        self.finish(lambda: export(dataset, fmt, target, statuses=statuses, prompt_for=generator_prompt, watch=watch))


class ExportDialog(BackgroundDialog):
    exported = Signal(object, str, object)
    """(ExportReport, format, target) once an export has been written."""

    def __init__(self, dataset: Path, shown_status: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle(tr("ex_title", name=dataset.name))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.dataset = dataset
        self.format = QComboBox()
        self.format.setObjectName("exportFormat")
        for fmt in EXPORT_FORMATS:
            self.format.addItem(tr(f"ex_format_{fmt}"), fmt)
        self.format.setCurrentIndex(EXPORT_FORMATS.index("alpaca"))
        self.checks: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        for k, status in enumerate(STATUSES):
            box = QCheckBox(status_label(status))
            box.setObjectName(f"exportStatus_{status}")
            wanted = status == shown_status if shown_status else status not in DEFAULT_EXCLUDED
            box.setChecked(wanted)
            self.checks[status] = box
            grid.addWidget(box, k // 3, k % 3)
        self.target = QLineEdit()
        self.target.setObjectName("exportTarget")
        browse = QPushButton(tr("browse"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(browse)
        self.make_controls("export", start=tr("ex_start"), start_name="exportRun", note=tr("ex_note"), steps=1)
        self.start_button.setDefault(True)

        form = QFormLayout()
        form.addRow(tr("ex_format"), self.format)
        form.addRow(tr("ex_statuses"), grid)
        form.addRow(tr("ex_target"), row)
        self.lay_out(form)
        self.resize(640, 300)

        self.cancel_event: threading.Event | None = None
        self.run_worker(ExportWorker(), "opening-export")
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.target.textChanged.connect(self._say_what_happens)
        self._auto_target = ""
        self._format_changed()

    # -- the choices -----------------------------------------------------------------------------

    def fmt(self) -> str:
        return str(self.format.currentData())

    def statuses(self) -> tuple[str, ...]:
        return tuple(s for s, box in self.checks.items() if box.isChecked())

    def _format_changed(self) -> None:
        """A new format: the suggested target follows it (a target the person typed stays)."""
        if not self.target.text().strip() or self.target.text() == self._auto_target:
            self._auto_target = str(default_target(self.dataset, self.fmt()))
            self.target.setText(self._auto_target)
        self._say_what_happens()

    def _say_what_happens(self) -> None:
        target = Path(self.target.text().strip()).expanduser()
        replaces = self.fmt() != "llamafactory" and target.is_file()
        self.start_button.setText(tr("ex_replace") if replaces else tr("ex_start"))
        if self.cancel_event is None:
            self.status.setText(tr("ex_will_replace", path=str(target)) if replaces else tr("ex_note"))

    def _browse(self) -> None:
        if self.fmt() == "llamafactory":
            name = QFileDialog.getExistingDirectory(self, tr("ex_target"), str(self.dataset.parent))
        else:
            name, _ = QFileDialog.getSaveFileName(self, tr("ex_target"), self.target.text())
        if name:
            self.target.setText(name)

    # -- running ---------------------------------------------------------------------------------

    @Slot()
    def start(self) -> None:
        text = self.target.text().strip()
        if not text:
            self.status.setText(tr("ex_need_target"))
            return
        if not self.statuses():
            self.status.setText(tr("ex_need_status"))
            return
        self.cancel_event = threading.Event()
        self.bar.setRange(0, 0)  # busy: the count of records read is in the status line
        self.status.setText(tr("ex_running"))
        self.launch((self.dataset, self.fmt(), Path(text).expanduser(), self.statuses(), self.cancel_event))

    @Slot()
    def cancel(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()
            self.status.setText(tr("status_cancelling"))

    @Slot(int)
    def _on_progress(self, read: int) -> None:
        self.status.setText(tr("ex_read", n=read))

    @Slot(object)
    def _on_done(self, report: ExportReport) -> None:
        fmt, target = self.fmt(), Path(self.target.text().strip()).expanduser()
        self._ended()
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        said = tr("review_exported", n=report.rows, fmt=fmt, path=str(target))
        if report.broken_lines:
            said += " " + tr("ex_broken", n=len(report.broken_lines))
        self.status.setText(said)
        self.exported.emit(report, fmt, target)
        self.finished_job.emit()

    def _ended(self) -> None:
        self.cancel_event = None
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        super()._ended()
