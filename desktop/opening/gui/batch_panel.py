"""The Batch tab: corpus files or a folder in, a JSONL ledger out, on the window's engine thread.

Start runs :func:`opening.pipeline.batch.run_batch` on the same engine thread as the single-text form;
Pause stops after the passages in flight and Resume starts the job again (the ledger skips what is
written, so nothing runs twice); Cancel abandons the passages in flight. When the output already holds
a run, the tab says so and Start continues it ("Start over" moves it aside first). Everything that
decides is core code; this module moves values between widgets and those calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from opening.base.choice import Choice
from opening.base.errors import BadInput, OpeningError
from opening.base.progress import human_duration
from opening.base.sampling import SamplingParams
from opening.data.batch_ledger import earlier_run
from opening.gui.engine_worker import BatchJob, EngineThread
from opening.gui.folders import start_dir
from opening.gui.strings import Words, error_words, tr, window_message, words
from opening.pipeline.batch import BatchPlan, BatchSpec, BatchStats, Prepared
from opening.pipeline.batch_plan import MAX_PARALLEL

LIVE_ROWS = 50
"""The table keeps the last this many records."""


class BatchPanel(QWidget):
    def __init__(
        self,
        engine: EngineThread,
        params: Callable[[], SamplingParams],
        choice: Callable[[], Choice],
        ready: Callable[[], str | None],
        message: Callable[[Words | str, bool], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("batchTab")
        self.engine, self.params, self.choice, self.ready, self.message = engine, params, choice, ready, message
        self.job: BatchJob | None = None
        self.paused = False
        self.total = 0

        self.inputs_label, self.output_label = QLabel(), QLabel()
        self.inputs = QLineEdit()
        self.inputs.setObjectName("batchInputs")
        self.output = QLineEdit()
        self.output.setObjectName("batchOutput")
        self.files_button, self.folder_button, self.output_button = QPushButton(), QPushButton(), QPushButton()
        self.restart = QCheckBox()
        self.restart.setObjectName("batchRestart")
        self.parallel_label = QLabel()
        self.parallel = QSpinBox()
        self.parallel.setObjectName("batchParallel")
        self.parallel.setRange(0, MAX_PARALLEL)  # 0: measured on this machine
        self.earlier = QLabel()
        self.earlier.setObjectName("batchEarlier")
        self.earlier.setWordWrap(True)
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.addWidget(self.inputs_label, 0, 0)
        grid.addWidget(self.inputs, 0, 1)
        grid.addWidget(self.files_button, 0, 2)
        grid.addWidget(self.folder_button, 0, 3)
        grid.addWidget(self.output_label, 1, 0)
        grid.addWidget(self.output, 1, 1)
        grid.addWidget(self.output_button, 1, 2)
        grid.addWidget(self.restart, 1, 3)
        grid.addWidget(self.parallel_label, 2, 0)
        grid.addWidget(self.parallel, 2, 1, Qt.AlignmentFlag.AlignLeft)

        self.start_button, self.pause_button, self.cancel_button = QPushButton(), QPushButton(), QPushButton()
        self.start_button.setObjectName("batchStart")
        self.pause_button.setObjectName("batchPause")
        self.cancel_button.setObjectName("batchCancel")
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setObjectName("batchProgress")
        self.summary = QLabel()
        self.summary.setObjectName("batchSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("batchTable")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(2, 260)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.earlier)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

        self.files_button.clicked.connect(self._choose_files)
        self.folder_button.clicked.connect(self._choose_folder)
        self.output_button.clicked.connect(self._choose_output)
        self.output.editingFinished.connect(self.check_output)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.pause_or_resume)
        self.cancel_button.clicked.connect(self.cancel)
        w = engine.worker
        w.batchPrepared.connect(self._on_prepared)
        w.batchPlanned.connect(self._on_planned)
        w.batchRecord.connect(self._on_record)
        w.batchFinished.connect(self._on_finished)
        w.batchFailed.connect(self._on_failed)
        self._set_running(False)
        self.retranslate()

    # -- choosing --------------------------------------------------------------------------------

    def _choose_files(self) -> None:
        kinds = "Text (*.txt *.md *.jsonl *.json *.csv *.tsv)"
        names, _ = QFileDialog.getOpenFileNames(self, tr("batch_inputs"), start_dir(), kinds)
        if names:
            self.inputs.setText("; ".join(names))

    def _choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, tr("batch_inputs"), start_dir())
        if name:
            self.inputs.setText(name)

    def _choose_output(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, tr("batch_output"), start_dir(self.output.text()), "JSONL (*.jsonl)")
        if name:
            self.output.setText(name)
            self.check_output()

    def input_list(self) -> list[str]:
        return [part.strip() for part in self.inputs.text().split(";") if part.strip()]

    @Slot()
    def check_output(self) -> None:
        """Offer to continue when the output already holds a run."""
        path = self.output.text().strip()
        self.earlier.setText("")
        if not path:
            return
        try:
            config, count = earlier_run(path)
            if config is not None:
                self.earlier.setText(tr("batch_earlier", n=count))
        except OpeningError as exc:
            self.earlier.setText(str(error_words(exc)))

    # -- running ---------------------------------------------------------------------------------

    def spec(self) -> BatchSpec:
        inputs, out = self.input_list(), self.output.text().strip()
        if not inputs:
            raise BadInput(window_message("batch_need_inputs"))
        if not out.lower().endswith(".jsonl"):
            raise BadInput(window_message("batch_need_output"))
        params = self.params()
        params.validate()
        choice = self.choice()
        restart = self.restart.isChecked() and not self.paused
        return BatchSpec(inputs, out, params, choice=choice, restart=restart, parallel=self.parallel.value())

    @Slot()
    def start(self) -> None:
        if self.job is not None:
            return
        not_ready = self.ready()  # why the engine cannot take a batch now, or None
        if not_ready:
            self.message(not_ready, True)
            return
        try:
            spec = self.spec()
        except OpeningError as exc:
            self.message(error_words(exc), True)
            return
        self.job = BatchJob(spec)
        self._set_running(True)
        self.summary.setText(tr("batch_reading"))
        self.engine.run_batch(self.job)

    @Slot()
    def pause_or_resume(self) -> None:
        if self.job is not None:  # pause: stop after the passages in flight
            self.job.pause.set()
            self.paused = True
            self.pause_button.setEnabled(False)
            self.summary.setText(tr("batch_pausing"))
        elif self.paused:  # resume: the same spec again; the ledger skips what is written
            self.start()

    @Slot()
    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            self.job.pause.set()
        self.paused = False
        self._set_running(self.job is not None)

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running and not self.paused)
        self.pause_button.setEnabled(running or self.paused)
        self.pause_button.setText(tr("batch_resume") if self.paused and not running else tr("batch_pause"))
        self.cancel_button.setEnabled(running or self.paused)
        for w in (self.inputs, self.output, self.files_button, self.folder_button, self.output_button, self.restart):
            w.setEnabled(not running and not self.paused)

    # -- reports from the engine thread ---------------------------------------------------------------

    @Slot(object)
    def _on_prepared(self, prepared: Prepared) -> None:
        self.total = len(prepared.passages)
        self.progress.setRange(0, max(1, self.total))
        self.progress.setValue(0)
        skipped = ", ".join(f"{reason}: {n}" for reason, n in prepared.skipped.items())
        problems = "; ".join(str(p) for p in prepared.problems[:3])
        self.summary.setText(tr("batch_prepared", read=prepared.read, todo=self.total, skipped=skipped or "0"))
        if problems:
            self.message(words("batch_problems", n=len(prepared.problems), first=problems), True)

    @Slot(object)
    def _on_planned(self, plan: BatchPlan) -> None:
        text = self.summary.text() + " " + tr("batch_in_flight", k=plan.parallel.k)
        if plan.seconds is not None and self.total:
            text += " " + tr("batch_estimate", time=human_duration(plan.seconds), n=self.total)
        self.summary.setText(text)

    @Slot(object, object)
    def _on_record(self, record: dict[str, Any], stats: BatchStats) -> None:
        self.progress.setValue(stats.done)
        eta = stats.eta_seconds()
        kept = stats.by_status.get("chosen", 0)
        self.summary.setText(
            tr("batch_running", done=stats.done, total=self.total, kept=kept, per_hour=stats.per_hour)
            + (" " + tr("batch_eta", left=human_duration(eta)) if eta else "")
        )
        row = self.table.rowCount()
        self.table.insertRow(row)
        pair = record.get("pair") or {}
        for col, text in enumerate((record["status"], pair.get("instruction", ""), record["source"]["file"])):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            self.table.setItem(row, col, item)
        while self.table.rowCount() > LIVE_ROWS:
            self.table.removeRow(0)
        self.table.scrollToBottom()

    @Slot(object)
    def _on_finished(self, stats: BatchStats) -> None:
        self.job = None
        if stats.stopped and self.paused:
            self.summary.setText(tr("batch_paused", done=stats.done, total=self.total))
        elif stats.stopped:
            self.summary.setText(tr("batch_cancelled", done=stats.done))
        else:
            self.paused = False
            self.summary.setText(tr("batch_done", done=stats.done, kept=stats.by_status.get("chosen", 0)))
        self._set_running(False)
        self.check_output()

    @Slot(str)
    def _on_failed(self, message: Words | str) -> None:
        self.job = None
        self.paused = False
        self._set_running(False)
        self.summary.setText("")
        self.message(message, True)

    def retranslate(self) -> None:
        self.inputs_label.setText(tr("batch_inputs"))
        self.output_label.setText(tr("batch_output"))
        self.files_button.setText(tr("batch_files"))
        self.folder_button.setText(tr("batch_folder"))
        self.output_button.setText(tr("browse"))
        self.restart.setText(tr("batch_restart"))
        self.parallel_label.setText(tr("batch_parallel"))
        self.parallel.setSpecialValueText(tr("batch_parallel_auto"))
        self.parallel.setToolTip(tr("batch_parallel_tip"))
        self.start_button.setText(tr("batch_start"))
        self.cancel_button.setText(tr("cancel"))
        self.pause_button.setText(tr("batch_resume") if self.paused and self.job is None else tr("batch_pause"))
        self.table.setHorizontalHeaderLabels([tr("batch_col_status"), tr("batch_col_instruction"), tr("batch_col_file")])
        self.check_output()

    def shutdown(self) -> None:
        """The window is closing: abandon the passages in flight."""
        if self.job is not None:
            self.job.cancel.set()
            self.job.pause.set()
