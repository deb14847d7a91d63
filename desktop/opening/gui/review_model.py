"""The Review tab's table model: a thin Qt view over :class:`opening.data.review_file.ReviewFile`.

Rows are the current view (a list of line indexes chosen by :func:`~opening.data.review_file.select`);
a row's texts are read from the file when the row is shown. Sorting and filtering need every record
parsed: :class:`ViewWorker` does that off the GUI thread and hands back the new view.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QRunnable, Qt, Signal

from opening.base.errors import OpeningError
from opening.data.review_file import Entry, ReviewFile, ViewSpec, select
from opening.gui.strings import error_words, tr

COLUMNS = ("instruction", "input", "output", "nll", "ifd", "status", "source")
ELIDE = 160
"""Characters of a text the table shows (the detail pane shows all)."""

Index = QModelIndex | QPersistentModelIndex


def status_label(status: str) -> str:
    """A record's status in the current language (a status this app does not know is shown as it is)."""
    try:
        return tr(f"review_status_{status}") if status else ""
    except KeyError:
        return status


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= ELIDE else flat[: ELIDE - 1] + "…"


class ReviewTableModel(QAbstractTableModel):
    sortRequested = Signal(str, bool)
    """(Entry field, descending): the panel recomputes the view off the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.file: ReviewFile | None = None
        self.view: list[int] = []

    def set_file(self, file: ReviewFile | None) -> None:
        self.beginResetModel()
        self.file = file
        self.view = list(range(len(file))) if file is not None else []
        self.endResetModel()

    def set_view(self, view: list[int]) -> None:
        self.beginResetModel()
        self.view = view
        self.endResetModel()

    def entry(self, row: int) -> Entry | None:
        if self.file is None or not 0 <= row < len(self.view):
            return None
        return self.file.entry(self.view[row])

    def line_changed(self, line: int) -> None:
        if line in self.view:
            row = self.view.index(line)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # -- QAbstractTableModel ------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.view)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.entry(index.row())
        if entry is None:
            return None
        name = COLUMNS[index.column()]
        value = getattr(entry, name)
        if role == Qt.ItemDataRole.DisplayRole:
            if entry.status == "broken" and name == "instruction":
                return tr("review_broken_line", n=entry.line + 1)
            if name == "status":
                return status_label(value)
            if isinstance(value, float):
                return f"{value:.3f}"
            return _short(value) if isinstance(value, str) else ("" if value is None else str(value))
        if role == Qt.ItemDataRole.ToolTipRole and name in ("instruction", "input", "output", "source"):
            return value[:2000] if isinstance(value, str) else None
        if role == Qt.ItemDataRole.TextAlignmentRole and name in ("nll", "ifd"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return tr(f"review_col_{COLUMNS[section]}")
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        field = COLUMNS[column] if 0 <= column < len(COLUMNS) else ""  # "": file order
        self.sortRequested.emit(field, order == Qt.SortOrder.DescendingOrder)


class ViewSignals(QObject):
    done = Signal(int, object)  # (request number, list of line indexes)
    failed = Signal(int, object)  # request number, Words or text


class ViewWorker(QRunnable):
    """Parse every record once (the file caches it) and select the view, on a pool thread."""

    def __init__(self, file: ReviewFile, spec: ViewSpec, number: int) -> None:
        super().__init__()
        self.file, self.spec, self.number = file, spec, number
        self.signals = ViewSignals()

    def run(self) -> None:
        try:
            view = select(self.file.entries(), self.spec)
        except Exception as exc:  # reported on the GUI thread, never lost in the pool
            said = error_words(exc) if isinstance(exc, OpeningError) else f"{type(exc).__name__}: {exc}"
            self.signals.failed.emit(self.number, said)
            return
        self.signals.done.emit(self.number, view)
