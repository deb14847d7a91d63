"""What the window keeps between sessions in the settings: parameters, threads and GPU layers, the
dataset file and format, auto-save, the window's geometry."""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

from opening.base.errors import OpeningError
from opening.gui.operations import default_dataset
from opening.llama.backend import default_threads

if TYPE_CHECKING:
    from opening.gui.main_window import MainWindow

log = logging.getLogger(__name__)


def restore(window: MainWindow) -> None:
    s = window.settings
    window.form.set_params(s.params)
    for spin, value in ((window.model_bar.threads, s.threads or default_threads()), (window.model_bar.gpu_layers, s.gpu_layers)):
        spin.blockSignals(True)
        spin.setValue(value)
        spin.blockSignals(False)
    results = window.results
    results.dataset_path.setText(s.dataset_file or str(default_dataset()))
    results.dataset_format.setCurrentIndex(max(0, results.dataset_format.findData(s.dataset_format)))
    results.auto_save.setChecked(s.auto_save)
    if s.window_geometry:
        try:
            window.restoreGeometry(QByteArray(base64.b64decode(s.window_geometry)))
        except ValueError:
            log.warning("ignoring a bad saved window geometry")


def remember(window: MainWindow) -> None:
    s = window.settings
    s.params = window.form.params()
    s.dataset_file = window.results.dataset_path.text().strip() or None
    s.dataset_format = window.results.dataset_format.currentData()
    s.auto_save = window.results.auto_save.isChecked()
    s.window_geometry = base64.b64encode(bytes(window.saveGeometry().data())).decode("ascii")
    try:
        s.save()
    except OpeningError as exc:
        log.warning("%s", exc)
