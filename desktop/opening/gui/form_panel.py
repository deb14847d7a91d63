"""The demo's form: the text, the five parameters (slider + spin box), Clear, Submit and Cancel."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from opening.gui.param_row import PARAMS, ParamRow
from opening.gui.strings import tr


class FormPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        self.output_label = QLabel()
        self.output_label.setWordWrap(True)
        self.output_text = QPlainTextEdit()
        self.output_text.setObjectName("outputText")
        self.output_label.setBuddy(self.output_text)

        self.rows = {spec.key: ParamRow(spec) for spec in PARAMS}
        self.row_labels: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        for r, spec in enumerate(PARAMS):
            label = QLabel()
            label.setBuddy(self.rows[spec.key].spin)
            self.row_labels[spec.key] = label
            grid.addWidget(label, r, 0)
            grid.addWidget(self.rows[spec.key].slider, r, 1)
            grid.addWidget(self.rows[spec.key].spin, r, 2)

        self.clear_button = QPushButton()
        self.clear_button.setObjectName("clearButton")
        self.submit_button = QPushButton()
        self.submit_button.setObjectName("submitButton")
        self.submit_button.setDefault(True)
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.submit_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addSpacing(6)
        layout.addWidget(self.output_label)
        layout.addWidget(self.output_text, 1)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(tr("title"))
        self.subtitle.setText(tr("subtitle"))
        self.output_label.setText(tr("output_label"))
        self.output_text.setPlaceholderText(tr("output_placeholder"))
        for spec in PARAMS:
            self.row_labels[spec.key].setText(tr(spec.label_key))
            tip = tr(f"tip_{spec.key}")
            for widget in (self.row_labels[spec.key], self.rows[spec.key].slider, self.rows[spec.key].spin):
                widget.setToolTip(tip)
        self.clear_button.setText(tr("clear"))
        self.submit_button.setText(tr("submit"))
        self.cancel_button.setText(tr("cancel"))

    def params(self) -> dict[str, Any]:
        return {key: row.value() for key, row in self.rows.items()}

    def set_params(self, values: dict[str, Any]) -> None:
        for key, row in self.rows.items():
            if key in values:
                row.set_value(values[key])

    def set_busy(self, busy: bool) -> None:
        self.submit_button.setEnabled(not busy)
        self.clear_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
