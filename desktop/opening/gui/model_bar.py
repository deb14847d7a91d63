"""The model panel: what is loaded (name, size, quantization, architecture), Open GGUF…, the scorer (a
smaller model that scores the candidates), threads, GPU layers."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QProgressBar, QPushButton, QSpinBox, QWidget

from opening.gui.strings import tr
from opening.models.gguf_file import GGUFInfo, format_params, human_size


def describe_model(info: GGUFInfo) -> str:
    size = human_size(info.file_size)
    return f"{info.name} · {format_params(info.n_params)} params · {size} · {info.quantization} · {info.architecture}"


class ModelBar(QWidget):
    openRequested = Signal()
    optionsChanged = Signal()
    scorerRequested = Signal()
    """Choose a scorer GGUF…"""
    scorerCleared = Signal()
    """No scorer: the model scores its own candidates."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.label = QLabel()
        self.label.setObjectName("modelLabel")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMinimumWidth(200)
        self.progress = QProgressBar()
        self.progress.setObjectName("modelProgress")
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(140)
        self.progress.hide()
        self.open_button = QPushButton()
        self.open_button.setObjectName("openModelButton")
        self.open_button.clicked.connect(self.openRequested)
        self.scorer_name: str | None = None
        self.scorer_button = QPushButton()
        self.scorer_button.setObjectName("scorerButton")
        self.scorer_menu = QMenu(self.scorer_button)
        self.scorer_choose = self.scorer_menu.addAction("")
        self.scorer_choose.triggered.connect(self.scorerRequested)
        self.scorer_none = self.scorer_menu.addAction("")
        self.scorer_none.triggered.connect(self.scorerCleared)
        self.scorer_button.setMenu(self.scorer_menu)
        self.threads_label = QLabel()
        self.threads = QSpinBox()
        self.threads.setObjectName("threads")
        self.threads.setRange(1, 256)
        self.gpu_label = QLabel()
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setObjectName("gpuLayers")
        self.gpu_layers.setRange(-1, 999)
        self.gpu_layers.setSpecialValueText("all")
        self.gpu_supported = False
        self.gpu_layers.setEnabled(False)  # until set_gpu_supported: asking llama.cpp waits for the window
        for spin in (self.threads, self.gpu_layers):
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self.optionsChanged)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.caption)
        row.addWidget(self.label, 1)
        row.addWidget(self.progress)
        row.addWidget(self.open_button)
        row.addWidget(self.scorer_button)
        row.addSpacing(8)
        row.addWidget(self.threads_label)
        row.addWidget(self.threads)
        row.addWidget(self.gpu_label)
        row.addWidget(self.gpu_layers)
        self.retranslate()

    def retranslate(self) -> None:
        self.caption.setText(tr("model") + ":")
        self.open_button.setText(tr("open_gguf"))
        self.scorer_button.setText(tr("scorer_button", name=self.scorer_name or tr("scorer_self")))
        self.scorer_button.setToolTip(tr("scorer_tip"))
        self.scorer_choose.setText(tr("scorer_choose"))
        self.scorer_none.setText(tr("scorer_none"))
        self.threads_label.setText(tr("threads"))
        self.gpu_label.setText(tr("gpu_layers"))
        if not self.gpu_supported:
            self.gpu_layers.setToolTip(tr("gpu_off_tip"))

    def set_scorer(self, name: str | None) -> None:
        """The scorer loaded with the model (None: the model scores its own candidates)."""
        self.scorer_name = name
        self.scorer_button.setText(tr("scorer_button", name=name or tr("scorer_self")))

    def set_gpu_supported(self, supported: bool) -> None:
        self.gpu_supported = supported
        self.gpu_layers.setEnabled(supported)
        self.gpu_layers.setToolTip("" if supported else tr("gpu_off_tip"))

    def show_text(self, text: str, tooltip: str = "") -> None:
        self.label.setText(text)
        self.label.setToolTip(tooltip)

    def set_progress(self, fraction: float | None) -> None:
        """A fraction shows the bar; None hides it."""
        if fraction is None:
            self.progress.hide()
            return
        self.progress.setValue(round(fraction * 100))
        self.progress.show()
