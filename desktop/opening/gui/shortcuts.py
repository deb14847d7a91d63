"""The window's keyboard shortcuts, in one table: installed on the window as ``QShortcut``s and listed
under Help ▸ Keyboard shortcuts (with the Review tab's single keys), so the list cannot drift from what
the keys do."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from opening.gui.strings import tr


@dataclass(frozen=True)
class Key:
    name: str
    """The action's name in the handlers passed to :func:`install`, and its label's string id (``sc_NAME``)."""
    keys: tuple[str, ...]


WINDOW_KEYS = (
    Key("submit", ("Ctrl+Return", "Ctrl+Enter")),
    Key("cancel", ("Escape",)),
    Key("save", ("Ctrl+S",)),
    Key("copy_json", ("Ctrl+Shift+C",)),
    Key("focus_text", ("Ctrl+L",)),
)
PICK_KEYS = tuple(f"Ctrl+{k}" for k in range(1, 10))
"""Ctrl+1 … Ctrl+9: the k-th candidate of the list (best first)."""
REVIEW_KEYS = (
    ("A", "sc_review_accept"),
    ("R", "sc_review_reject"),
    ("E", "sc_review_edit"),
    ("U", "sc_review_undo"),
    ("J / K", "sc_review_move"),
)


def install(window: QWidget, handlers: dict[str, Callable[[], None]], pick: Callable[[int], None]) -> list[QShortcut]:
    """Every window shortcut, each calling its handler; ``pick(row)`` for Ctrl+1 … Ctrl+9."""
    made = []
    for key in WINDOW_KEYS:
        for sequence in key.keys:
            shortcut = QShortcut(QKeySequence(sequence), window)
            shortcut.activated.connect(handlers[key.name])
            made.append(shortcut)
    for row, sequence in enumerate(PICK_KEYS):
        shortcut = QShortcut(QKeySequence(sequence), window)
        shortcut.activated.connect(lambda r=row: pick(r))
        made.append(shortcut)
    return made


def shown(sequence: str) -> str:
    return QKeySequence(sequence).toString(QKeySequence.SequenceFormat.NativeText)


def table_html() -> str:
    """The list shown under Help ▸ Keyboard shortcuts, in the window's language."""
    rows = [(" / ".join(shown(s) for s in k.keys), tr(f"sc_{k.name}")) for k in WINDOW_KEYS]
    rows.append((f"{shown(PICK_KEYS[0])} … {shown(PICK_KEYS[-1])}", tr("sc_pick")))
    rows.append(("Tab / Shift+Tab", tr("sc_tab")))
    review = [(keys, tr(label)) for keys, label in REVIEW_KEYS]
    body = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    body += f"<tr><td colspan='2'><br><i>{html.escape(tr('sc_review_title'))}</i></td></tr>"
    body += "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in review)
    return f"<table cellpadding='4'>{body}</table>"
