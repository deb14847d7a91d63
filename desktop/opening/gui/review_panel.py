"""The Review tab: a dataset's records in a table, to accept, reject and edit fast, and to export.

Keyboard first (when the table has the focus): A accept, R reject, E edit, U undo, J/K (or the arrows)
next/previous. Accept and reject move on to the next row. A position counter shows where you are and
the position is remembered per file. Every change goes through :class:`opening.data.review_file.ReviewFile`
(the record rewritten in the file, crash-safe; a file changed elsewhere is reported, never overwritten).
Sorting and filtering run on a pool thread (:class:`opening.gui.review_model.ViewWorker`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from opening.base.errors import OpeningError
from opening.data.export import STATUSES
from opening.data.review_file import ACCEPTED, REJECTED_BY_USER, ReviewFile, ViewSpec, last_position, remember_position
from opening.data.review_file import source_file as _source_file
from opening.gui.export_dialog import ExportDialog
from opening.gui.folders import start_dir
from opening.gui.heat_map import heat_map_html
from opening.gui.review_model import ReviewTableModel, ViewWorker, status_label
from opening.gui.strings import error_words, tr, words

POSITION_DELAY_MS = 800
"""The position is written this long after the last move (not on every key press)."""


class ReviewTable(QTableView):
    """The table, with the review's single-key actions (plain letters, no modifier) as a signal."""

    keyPressed = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.keys: set[Qt.Key] = set()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if plain and Qt.Key(event.key()) in self.keys:
            self.keyPressed.emit(event.key())
            event.accept()
            return
        super().keyPressEvent(event)


class ReviewPanel(QWidget):
    message = Signal(object, bool)  # Words or text, error
    """(text, is_error) for the window's status line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewTab")
        self.file: ReviewFile | None = None
        self._request = 0
        self._pending: int | None = None

        self.path = QLineEdit()
        self.path.setObjectName("reviewFile")
        self.open_button, self.reload_button, self.export_button = QPushButton(), QPushButton(), QPushButton()
        self.export_button.setObjectName("reviewExport")
        top = QHBoxLayout()
        top.addWidget(self.path, 1)
        for b in (self.open_button, self.reload_button, self.export_button):
            top.addWidget(b)

        self.status_filter = QComboBox()
        self.status_filter.setObjectName("reviewStatusFilter")
        self.source_filter = QComboBox()
        self.source_filter.setObjectName("reviewSourceFilter")
        self.unhelpful = QCheckBox()
        self.unhelpful.setObjectName("reviewUnhelpful")
        self.search = QLineEdit()
        self.search.setObjectName("reviewSearch")
        self.search.setClearButtonEnabled(True)
        self.counter = QLabel()
        self.counter.setObjectName("reviewCounter")
        filters = QHBoxLayout()
        for w in (self.status_filter, self.source_filter, self.unhelpful):
            filters.addWidget(w)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.counter)

        self.model = ReviewTableModel(self)
        self.table = ReviewTable()
        self.table.setObjectName("reviewTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((240, 60, 220, 56, 56, 110)):
            self.table.setColumnWidth(col, width)
        self.table.verticalHeader().setDefaultSectionSize(22)

        self.detail = QTextBrowser()
        self.detail.setObjectName("reviewDetail")
        self.candidates = QListWidget()
        self.candidates.setObjectName("reviewCandidates")
        self.heat = QTextBrowser()
        self.heat.setObjectName("reviewHeatMap")
        self.instruction = QPlainTextEdit()
        self.instruction.setObjectName("reviewInstruction")
        self.input = QLineEdit()
        self.input.setObjectName("reviewInput")
        self.accept_button, self.reject_button, self.edit_button, self.undo_button = (QPushButton() for _ in range(4))
        self.accept_button.setObjectName("reviewAccept")
        self.reject_button.setObjectName("reviewReject")
        self.edit_button.setObjectName("reviewSaveEdit")
        self.undo_button.setObjectName("reviewUndo")
        actions = QHBoxLayout()
        for b in (self.accept_button, self.reject_button, self.edit_button, self.undo_button):
            actions.addWidget(b)
        for box in (self.detail, self.candidates, self.heat, self.instruction):
            box.setMinimumHeight(32)  # the tab must not make the window taller than the other tabs do
        self.instruction_label, self.input_label, self.candidates_label = QLabel(), QLabel(), QLabel()
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.detail, 3)
        side_layout.addWidget(self.candidates_label)
        side_layout.addWidget(self.candidates, 2)
        side_layout.addWidget(self.heat, 2)
        side_layout.addWidget(self.instruction_label)
        side_layout.addWidget(self.instruction, 1)
        side_layout.addWidget(self.input_label)
        side_layout.addWidget(self.input)
        side_layout.addLayout(actions)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)

        self._position_timer = QTimer(self, singleShot=True, interval=POSITION_DELAY_MS)
        self._position_timer.timeout.connect(self._remember)
        self._wire()
        self.retranslate()
        self._update_counter()

    def _wire(self) -> None:
        self.open_button.clicked.connect(self._choose_file)
        self.path.returnPressed.connect(lambda: self.open_file(self.path.text().strip()))
        self.reload_button.clicked.connect(self.reload)
        self.export_button.clicked.connect(self.open_export)
        self.status_filter.currentIndexChanged.connect(self.refresh_view)
        self.source_filter.currentIndexChanged.connect(self.refresh_view)
        self.unhelpful.toggled.connect(self.refresh_view)
        self._search_timer = QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self.refresh_view)
        self.search.textChanged.connect(self._search_timer.start)
        self.model.sortRequested.connect(self._on_sort)
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        self.accept_button.clicked.connect(lambda: self.mark(ACCEPTED))
        self.reject_button.clicked.connect(lambda: self.mark(REJECTED_BY_USER))
        self.edit_button.clicked.connect(self.save_edit)
        self.undo_button.clicked.connect(self.undo)
        self.candidates.itemActivated.connect(lambda item: self.pick(item.data(Qt.ItemDataRole.UserRole)))
        self.candidates.currentRowChanged.connect(self._show_heat)
        keys = {
            Qt.Key.Key_A: lambda: self.mark(ACCEPTED),
            Qt.Key.Key_R: lambda: self.mark(REJECTED_BY_USER),
            Qt.Key.Key_E: self.start_edit,
            Qt.Key.Key_U: self.undo,
            Qt.Key.Key_J: lambda: self.move(1),
            Qt.Key.Key_K: lambda: self.move(-1),
        }
        self.table.keyPressed.connect(lambda key: keys[Qt.Key(key)]())
        self.table.keys = set(keys)
        self._sort: tuple[str | None, bool] = (None, False)

    # -- opening ---------------------------------------------------------------------------------

    def _choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, tr("review_open"), start_dir(self.path.text()), tr("review_file_types"))
        if name:
            self.open_file(name)

    def open_file(self, path: str) -> bool:
        """Open ``path`` (a JSONL dataset or a JSON array of pairs) at the position remembered for it."""
        if not path:
            return False
        try:
            file = ReviewFile(path)
        except OpeningError as exc:
            self.message.emit(error_words(exc), True)
            return False
        self._remember()
        self.file = file
        self.path.setText(str(file.path))
        self._sort = (None, False)
        header = self.table.horizontalHeader()
        header.blockSignals(True)  # no sort request: file order
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)
        self.model.set_file(file)
        self._fill_sources([])
        self.refresh_view()
        if len(file):
            self.select_row(min(last_position(file.path), len(file) - 1))
        self.message.emit(words("review_opened", n=len(file), name=file.path.name), False)
        return True

    @Slot()
    def reload(self) -> None:
        if self.file is None:
            return
        current = self.current_line()
        self.file.reload()
        self.model.set_file(self.file)
        self.refresh_view()
        if current is not None and current < len(self.file):
            self.select_line(current)
        self.message.emit(words("review_reloaded", name=self.file.path.name), False)

    # -- the view --------------------------------------------------------------------------------

    def spec(self) -> ViewSpec:
        status = self.status_filter.currentData()
        source = self.source_filter.currentData()
        return ViewSpec(status, source, self.unhelpful.isChecked(), self.search.text(), *self._sort)

    @Slot()
    def refresh_view(self) -> None:
        """Recompute the view off the GUI thread (file order with no filter needs no parsing)."""
        if self.file is None:
            return
        spec = self.spec()
        self._request += 1
        if spec == ViewSpec():
            self._pending = None
            self._apply_view(list(range(len(self.file))))
            self._start_worker(spec, fill_sources_only=True)
            return
        self._pending = self._request
        self._start_worker(spec)

    def _start_worker(self, spec: ViewSpec, *, fill_sources_only: bool = False) -> None:
        assert self.file is not None
        worker = ViewWorker(self.file, spec, -1 if fill_sources_only else self._request)
        worker.signals.done.connect(self._on_view)
        worker.signals.failed.connect(lambda _n, text: self.message.emit(text, True))
        QThreadPool.globalInstance().start(worker)

    @Slot(int, object)
    def _on_view(self, number: int, view: list[int]) -> None:
        if self.file is not None and self.source_filter.count() <= 1:
            self._fill_sources(sorted({_source_file(e.source) for e in self.file.entries() if e.source}))
        if number == -1 or number != self._pending:
            return  # the sources only, or a view that a newer request replaced
        self._pending = None
        self._apply_view(view)

    def _apply_view(self, view: list[int]) -> None:
        line = self.current_line()
        self.model.set_view(view)
        if line is not None and line in view:
            self.select_line(line)
        elif view:
            self.select_row(0)
        self._update_counter()

    def _fill_sources(self, files: list[str]) -> None:
        current = self.source_filter.currentData()
        self.source_filter.blockSignals(True)
        self.source_filter.clear()
        self.source_filter.addItem(tr("review_all_sources"), None)
        for f in files:
            self.source_filter.addItem(Path(f).name or f, f)
            self.source_filter.setItemData(self.source_filter.count() - 1, f, Qt.ItemDataRole.ToolTipRole)
        if current is not None:
            self.source_filter.setCurrentIndex(max(0, self.source_filter.findData(current)))
        self.source_filter.blockSignals(False)

    @Slot(str, bool)
    def _on_sort(self, field: str, descending: bool) -> None:
        self._sort = (field or None, descending)
        self.refresh_view()

    @property
    def busy(self) -> bool:
        """A sort or filter is being computed (changes wait for it: the worker reads the file)."""
        return self._pending is not None

    # -- moving ----------------------------------------------------------------------------------

    def current_row(self) -> int:
        return self.table.currentIndex().row()

    def current_line(self) -> int | None:
        row = self.current_row()
        return self.model.view[row] if 0 <= row < len(self.model.view) else None

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(row, 0))
            self.table.scrollTo(self.model.index(row, 0))

    def select_line(self, line: int) -> None:
        if line in self.model.view:
            self.select_row(self.model.view.index(line))

    def move(self, step: int) -> None:
        self.select_row(max(0, min(self.model.rowCount() - 1, self.current_row() + step)))

    def _update_counter(self) -> None:
        total = self.model.rowCount()
        row = self.current_row()
        self.counter.setText(f"{row + 1:,} / {total:,}" if total and row >= 0 else f"0 / {total:,}")

    @Slot()
    def _on_row(self, *_: Any) -> None:
        self._update_counter()
        self._show_detail()
        self._position_timer.start()

    def _remember(self) -> None:
        line = self.current_line()
        if self.file is not None and line is not None:
            remember_position(self.file.path, line)

    # -- the detail pane -------------------------------------------------------------------------

    def _show_detail(self) -> None:
        self.candidates.clear()
        line = self.current_line()
        if self.file is None or line is None:
            self.detail.clear()
            self.instruction.setPlainText("")
            self.input.setText("")
            return
        entry = self.file.entry(line)
        record = self.file.record(line) or {}
        parts = [
            f"<p><b>{html.escape(tr('review_col_status'))}:</b> {html.escape(status_label(entry.status))}"
            f" &nbsp; <b>{html.escape(tr('review_col_source'))}:</b> {html.escape(entry.source)}</p>",
            f"<p><b>{html.escape(tr('review_col_instruction'))}</b><br>{html.escape(entry.instruction)}</p>",
        ]
        if entry.input:
            parts.append(f"<p><b>{html.escape(tr('review_col_input'))}</b><br>{html.escape(entry.input)}</p>")
        output = entry.output or str(record.get("text") or "")
        parts.append(f"<p><b>{html.escape(tr('review_col_output'))}</b><br>{html.escape(output).replace(chr(10), '<br>')}</p>")
        self.detail.setHtml("".join(parts))
        chosen = record.get("chosen")
        for k, cand in enumerate(record.get("candidates") or []):
            if not isinstance(cand, dict):
                continue
            scores = " · ".join(
                f"{name} {cand[name]:.3f}" for name in ("nll", "ifd", "rifd") if isinstance(cand.get(name), (int, float))
            )
            why = cand.get("rejected") or (tr("review_duplicate") if cand.get("duplicate_of") is not None else "")
            mark = "★ " if k == chosen else ""
            text = f"{mark}{k + 1}. {' '.join(str(cand.get('instruction', '')).split())[:200]}"
            text += f"\n    {scores}" + (f" — {why}" if why else "")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, k)
            self.candidates.addItem(item)
        self.instruction.setPlainText(entry.instruction)
        self.input.setText(entry.input)
        wanted = chosen if isinstance(chosen, int) else record.get("best")
        rows = [self.candidates.item(r).data(Qt.ItemDataRole.UserRole) for r in range(self.candidates.count())]
        if wanted in rows:
            self.candidates.setCurrentRow(rows.index(wanted))
        else:
            self._show_heat(-1)

    @Slot(int)
    def _show_heat(self, row: int) -> None:
        """The heat map of the candidate on ``row`` of the list (from the record's token scores)."""
        line = self.current_line()
        record = self.file.record(line) if self.file is not None and line is not None else None
        item = self.candidates.item(row) if row >= 0 else None
        scores = (record or {}).get("token_scores") or {}
        tokens = scores.get("text_tokens")
        k = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        gains = scores.get("token_gain") or []
        gain = gains[k] if isinstance(k, int) and k < len(gains) else None
        if not tokens or not gain:
            self.heat.setHtml(f"<p><i>{html.escape(tr('heat_none'))}</i></p>" if item is not None else "")
            return
        title = html.escape(tr("heat_title", k=k + 1))
        self.heat.setHtml(f"<p><b>{title}</b></p>" + heat_map_html(tokens, gain))

    # -- changing --------------------------------------------------------------------------------

    def _guard(self) -> int | None:
        """The line to change, or None (with the reason said) when no change can be made now."""
        line = self.current_line()
        if self.file is None or line is None:
            return None
        if self.busy:
            self.message.emit(words("review_busy"), True)
            return None
        return line

    def _apply(self, change: Callable[[ReviewFile, int], object], said: Callable[[int], str], *, advance: bool) -> bool:
        """Run one change on the current line; say what happened (or why not) in the status line."""
        line = self._guard()
        if line is None or self.file is None:
            return False
        try:
            change(self.file, line)
        except OpeningError as exc:
            self.message.emit(error_words(exc), True)
            return False
        self.model.line_changed(line)
        self._show_detail()
        self.message.emit(said(line + 1), False)
        if advance:
            self.move(1)
        return True

    def mark(self, status: str) -> None:
        """Accept or reject the current record, then move to the next one."""
        self._apply(lambda f, line: f.set_status(line, status), lambda n: tr(f"review_done_{status}", n=n), advance=True)

    def start_edit(self) -> None:
        self.instruction.setFocus()
        self.instruction.selectAll()

    @Slot()
    def save_edit(self) -> None:
        """The instruction and input as edited in the side pane."""
        instruction, extra = self.instruction.toPlainText().strip(), self.input.text().strip()
        if self._apply(lambda f, line: f.edit(line, instruction, extra), lambda n: tr("review_done_edited", n=n), advance=False):
            self.table.setFocus()

    def pick(self, candidate: int) -> None:
        """Another candidate as the record's pair."""
        self._apply(
            lambda f, line: f.pick(line, candidate),
            lambda n: tr("review_done_picked", k=candidate + 1, n=n),
            advance=False,
        )

    @Slot()
    def undo(self) -> None:
        if self.file is None or self._guard() is None:
            return
        try:
            line = self.file.undo()
        except OpeningError as exc:
            self.message.emit(error_words(exc), True)
            return
        if line is None:
            self.message.emit(words("review_nothing_to_undo"), False)
            return
        self.model.line_changed(line)
        self.select_line(line)
        self._show_detail()
        self.message.emit(words("review_undone", n=line + 1), False)

    # -- exporting -------------------------------------------------------------------------------

    def open_export(self) -> ExportDialog | None:
        """The Export dialog on this file, with the records the status filter shows ticked."""
        if self.file is None:
            self.message.emit(words("review_no_file"), True)
            return None
        dialog = ExportDialog(self.file.path, self.status_filter.currentData(), self)
        dialog.exported.connect(
            lambda report, fmt, target: self.message.emit(
                words("review_exported", n=report.rows, fmt=fmt, path=str(target)), False
            )
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # -- language --------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.path.setPlaceholderText(tr("review_path_hint"))
        self.open_button.setText(tr("review_open"))
        self.reload_button.setText(tr("review_reload"))
        self.export_button.setText(tr("review_export"))
        current = self.status_filter.currentData()
        self.status_filter.blockSignals(True)
        self.status_filter.clear()
        self.status_filter.addItem(tr("review_all_statuses"), None)
        for status in STATUSES:
            self.status_filter.addItem(tr(f"review_status_{status}"), status)
        self.status_filter.setCurrentIndex(max(0, self.status_filter.findData(current)))
        self.status_filter.blockSignals(False)
        if self.source_filter.count():
            self.source_filter.setItemText(0, tr("review_all_sources"))
        else:
            self._fill_sources([])
        self.unhelpful.setText(tr("review_unhelpful"))
        self.search.setPlaceholderText(tr("review_search"))
        self.accept_button.setText(tr("review_accept"))
        self.reject_button.setText(tr("review_reject"))
        self.edit_button.setText(tr("review_save_edit"))
        self.undo_button.setText(tr("review_undo"))
        self.instruction_label.setText(tr("review_col_instruction"))
        self.input_label.setText(tr("review_col_input"))
        self.candidates_label.setText(tr("review_candidates"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.model.columnCount() - 1)
        self._show_detail()

    def shutdown(self) -> None:
        self._remember()
