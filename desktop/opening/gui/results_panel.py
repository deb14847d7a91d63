"""Candidates (streamed, then ranked with scores), the review editors, the JSON box and the save row."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from opening.data.records import FORMATS, fold_input
from opening.gui import strings
from opening.gui.strings import tr
from opening.pipeline.ranking import RankedCandidate
from opening.pipeline.report import caption_parts
from opening.pipeline.run import Outcome

INDEX_ROLE = Qt.ItemDataRole.UserRole
REPAINT_MS = 50


def candidate_caption(cand: dict[str, Any], index: int, chosen: int | None, helps_below: float = 1.0) -> str:
    """The core's caption parts (``caption_parts``) in the window's language."""
    words = []
    for key, values in caption_parts(cand, index, chosen, helps_below):
        if key == "rejected":
            values = {"reason": strings.reason(values["reason"])}
        words.append(("★ " if key == "chosen" else "") + tr(f"cap_{key}", **values))
    return " · ".join(words)


LIST_CHARS = 400
"""The list shows this much of a candidate; the tooltip and the editors have all of it."""


def candidate_body(cand: RankedCandidate) -> str:
    return fold_input(cand.instruction or cand.raw.strip(), cand.input)


def shorten(text: str, limit: int = LIST_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class ResultsPanel(QWidget):
    candidatePicked = Signal(int)
    editChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.candidates_label = QLabel()
        self.candidate_list = QListWidget()
        self.candidate_list.setObjectName("candidateList")
        self.candidate_list.setWordWrap(True)
        self.candidate_list.setAlternatingRowColors(True)
        self.candidate_list.currentItemChanged.connect(self._picked)
        self._streamed: list[str] = []
        self._dirty: set[int] = set()
        self._repaint = QTimer(self, singleShot=True, interval=REPAINT_MS)
        self._repaint.timeout.connect(self._flush_pieces)

        self.instruction_edit = QPlainTextEdit()
        self.instruction_edit.setObjectName("instructionEdit")
        self.instruction_edit.setMinimumHeight(48)
        self.instruction_edit.setMaximumHeight(96)
        self.input_edit = QLineEdit()
        self.input_edit.setObjectName("inputEdit")
        self.instruction_edit.textChanged.connect(self.editChanged)
        self.input_edit.textChanged.connect(self.editChanged)
        self.instruction_label, self.input_label = QLabel(), QLabel()
        editors = QFormLayout()
        editors.setContentsMargins(0, 0, 0, 0)
        editors.addRow(self.instruction_label, self.instruction_edit)
        editors.addRow(self.input_label, self.input_edit)

        self.json_label = QLabel()
        self.json_view = QPlainTextEdit()
        self.json_view.setObjectName("jsonView")
        self.json_view.setReadOnly(True)

        self.dataset_label = QLabel()
        self.dataset_path = QLineEdit()
        self.dataset_path.setObjectName("datasetPath")
        self.browse_button = QPushButton()
        self.browse_button.setObjectName("browseButton")
        self.dataset_format = QComboBox()
        self.dataset_format.setObjectName("datasetFormat")
        self.dataset_format.addItem("auto", None)
        for fmt in FORMATS:
            self.dataset_format.addItem(fmt, fmt)
        self.auto_save = QCheckBox()
        self.auto_save.setObjectName("autoSave")
        self.auto_save.setChecked(True)
        self.save_button = QPushButton()
        self.save_button.setObjectName("saveButton")
        self.copy_button = QPushButton()
        self.copy_button.setObjectName("copyButton")
        self.undo_button = QPushButton()
        self.undo_button.setObjectName("undoButton")
        self.undo_button.setEnabled(False)
        self.rank_button = QPushButton()
        self.rank_button.setObjectName("rankDoneButton")
        self.rank_button.setVisible(False)  # shown after a Cancel that left finished candidates

        dataset_row = QHBoxLayout()
        dataset_row.addWidget(self.dataset_label)
        dataset_row.addWidget(self.dataset_path, 1)
        dataset_row.addWidget(self.dataset_format)
        dataset_row.addWidget(self.browse_button)
        button_row = QHBoxLayout()
        button_row.addWidget(self.auto_save)
        button_row.addStretch(1)
        button_row.addWidget(self.rank_button)
        button_row.addWidget(self.undo_button)
        button_row.addWidget(self.copy_button)
        button_row.addWidget(self.save_button)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.candidates_label)
        top_layout.addWidget(self.candidate_list)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addLayout(editors)
        bottom_layout.addWidget(self.json_label)
        bottom_layout.addWidget(self.json_view, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([330, 270])
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(dataset_row)
        layout.addLayout(button_row)
        self.retranslate()

    def retranslate(self) -> None:
        self.candidates_label.setText(tr("candidates"))
        self.candidates_label.setToolTip(tr("tip_scores"))
        self.candidate_list.setToolTip("")
        self.instruction_label.setText(tr("instruction"))
        self.input_label.setText(tr("input"))
        self.input_edit.setPlaceholderText(tr("input_placeholder"))
        self.json_label.setText(tr("json_label"))
        self.dataset_label.setText(tr("dataset"))
        self.browse_button.setText(tr("browse"))
        self.auto_save.setText(tr("auto_save"))
        self.copy_button.setText(tr("copy"))
        self.undo_button.setText(tr("undo"))
        self.rank_button.setText(tr("rank_done"))
        self.rank_button.setToolTip(tr("tip_rank_done"))

    # -- streaming -------------------------------------------------------------------------------

    def start(self, n: int) -> None:
        self.clear()
        self._streamed = [""] * n
        for i in range(n):
            item = QListWidgetItem(tr("candidate", n=i + 1) + " …")
            item.setData(INDEX_ROLE, i)
            self.candidate_list.addItem(item)

    def add_piece(self, index: int, text: str) -> None:
        """Collect streamed text; the list is repainted at most every ``REPAINT_MS`` (ten sequences
        streaming at hundreds of pieces per second must not queue up work on the GUI thread)."""
        if not 0 <= index < len(self._streamed):
            return
        self._streamed[index] += text
        self._dirty.add(index)
        if not self._repaint.isActive():
            self._repaint.start()

    def _flush_pieces(self) -> None:
        for index in sorted(self._dirty):
            item = self.candidate_list.item(index)
            if item is not None and index < len(self._streamed):
                item.setText(f"{tr('candidate', n=index + 1)} …\n{shorten(self._streamed[index].strip())}")
        self._dirty.clear()

    # -- results ---------------------------------------------------------------------------------

    def show_ranking(self, outcome: Outcome, selected: int | None) -> None:
        """List the candidates best first with their scores and highlight ``selected`` (no signal)."""
        assert outcome.ranking is not None
        ranking = outcome.ranking
        bodies = {c.index: candidate_body(c) for c in ranking.candidates}
        notes = {c.index: f"{c.template} · {c.tokens} tokens · {c.finish_reason}" for c in ranking.candidates}
        self.show_report(outcome.report, ranking.order(), bodies, notes, selected, ranking.choice.helps_below)

    def show_report(
        self,
        report: dict[str, Any],
        order: list[int],
        bodies: dict[int, str],
        notes: dict[int, str],
        selected: int | None,
        helps_below: float,
    ) -> None:
        """The candidates of a run's report in ``order``, each caption in the window's language over its
        text (a run just finished, or the last run of the previous session restored)."""
        self._streamed = []
        self._dirty.clear()
        chosen = report.get("chosen")
        with QSignalBlocker(self.candidate_list):
            self.candidate_list.clear()
            muted = self.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            for index in order:
                cand = report["candidates"][index]
                body = bodies.get(index, "")
                item = QListWidgetItem(f"{candidate_caption(cand, index, chosen, helps_below)}\n{shorten(body)}")
                item.setToolTip(f"{notes.get(index, '')}\n\n{shorten(body, 4000)}")
                item.setData(INDEX_ROLE, index)
                if cand["rejected"] or cand["duplicate_of"] is not None:
                    item.setForeground(QBrush(muted))
                self.candidate_list.addItem(item)
            if selected is not None:
                self.select_index(selected)

    def select_index(self, index: int) -> None:
        """Make candidate ``index`` current (emits candidatePicked unless signals are blocked)."""
        for row in range(self.candidate_list.count()):
            if self.candidate_list.item(row).data(INDEX_ROLE) == index:
                self.candidate_list.setCurrentRow(row)
                return

    def _picked(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None and not self._streamed:
            self.candidatePicked.emit(int(current.data(INDEX_ROLE)))

    def set_editors(self, instruction: str, extra_input: str) -> None:
        with QSignalBlocker(self.instruction_edit), QSignalBlocker(self.input_edit):
            self.instruction_edit.setPlainText(instruction)
            self.input_edit.setText(extra_input)

    def editors(self) -> tuple[str, str]:
        return self.instruction_edit.toPlainText().strip(), self.input_edit.text().strip()

    def set_json(self, text: str) -> None:
        self.json_view.setPlainText(text)

    def set_saved(self, saved: bool, *, pending: bool = False, saved_index: int | None = None) -> None:
        """Save (nothing saved yet), Saved (the pair on screen is the saved one) or "Use this one" (another
        pick or an edit: Save replaces the saved pair); the saved candidate marked in the list."""
        self.save_button.setText(tr("use_this") if saved and pending else tr("saved_button") if saved else tr("save"))
        self.undo_button.setEnabled(saved)
        mark = " · " + tr("cap_saved")
        for row in range(self.candidate_list.count()):
            item = self.candidate_list.item(row)
            text = item.text().replace(mark, "", 1) if mark in item.text() else item.text()
            if saved_index is not None and item.data(INDEX_ROLE) == saved_index:
                first, _, rest = text.partition("\n")
                text = f"{first}{mark}\n{rest}" if rest else first + mark
            if text != item.text():
                item.setText(text)

    def clear(self) -> None:
        self._streamed = []
        self._dirty.clear()
        with QSignalBlocker(self.candidate_list):
            self.candidate_list.clear()
        self.set_editors("", "")
        self.json_view.clear()
