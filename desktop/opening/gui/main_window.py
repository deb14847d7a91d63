"""The main window: wires the form, the model bar and the results to the engine thread and the core.

Everything that decides something (which model, checking text and parameters, ranking, the pair, saving)
is a core call; this module only moves values between widgets and those calls.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from .. import paths
from ..dataset_file import DatasetFile
from ..errors import OpeningError
from ..gguf_file import GGUFInfo, inspect_gguf
from ..llama_model import default_threads, gpu_offload_supported
from ..memory_fit import estimate
from ..model_resolve import resolve_model
from ..pipeline import Outcome, engine_settings
from ..request import Request, check_text
from ..review import Review, SavedPair
from ..sampling import SamplingParams
from ..settings import Settings
from . import strings
from .convert_dialog import ConvertDialog
from .download_dialog import DownloadDialog
from .engine_worker import EngineThread, Loaded, LoadJob, RunJob
from .form_panel import FormPanel
from .model_bar import ModelBar, describe_model
from .results_panel import ResultsPanel
from .strings import tr

log = logging.getLogger(__name__)
QDialogT = TypeVar("QDialogT", bound=QDialog)
EDIT_DELAY_MS = 400
RELOAD_DELAY_MS = 600


class MainWindow(QMainWindow):
    runFinished = Signal()
    """Emitted on the GUI thread when a run ends in any way (done, cancelled, failed)."""
    modelChanged = Signal(bool)
    """Emitted on the GUI thread when a model load ends (True: loaded)."""

    def __init__(self, settings: Settings, *, seed: int | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.seed = seed
        """A fixed seed makes runs reproducible (``opening-desktop --seed N``); None draws a new one."""
        self.engine = EngineThread(self)
        self.model_path: Path | None = None
        self.model_ready = False
        self._fit_warning = ""
        self._remember_model = False
        self._model_text = ""
        self.load_job: LoadJob | None = None
        self.run_job: RunJob | None = None
        self.outcome: Outcome | None = None
        self.review: Review | None = None
        self.saved: SavedPair | None = None

        self.model_bar = ModelBar()
        self.form = FormPanel()
        self.results = ResultsPanel()
        splitter = QSplitter()
        splitter.addWidget(self.form)
        splitter.addWidget(self.results)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 5)
        splitter.setChildrenCollapsible(False)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.model_bar)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.status = QLabel()
        self.status.setObjectName("statusLabel")
        self.status.setWordWrap(True)
        self.statusBar().addWidget(self.status, 1)
        self._build_menu()

        self._edit_timer = QTimer(self, singleShot=True, interval=EDIT_DELAY_MS)
        self._edit_timer.timeout.connect(self.apply_edit)
        self._reload_timer = QTimer(self, singleShot=True, interval=RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload_model)
        self._wire()
        self._restore()
        self.retranslate()
        self.show_status(tr("status_ready"))

    # -- set-up ----------------------------------------------------------------------------------

    def _build_menu(self) -> None:
        self.models_menu = self.menuBar().addMenu("")
        self.download_action = QAction(self)
        self.download_action.triggered.connect(self.show_download_dialog)
        self.models_menu.addAction(self.download_action)
        self.convert_action = QAction(self)
        self.convert_action.triggered.connect(self.show_convert_dialog)
        self.models_menu.addAction(self.convert_action)
        self.language_menu = self.menuBar().addMenu("")
        group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code, name in strings.LANGUAGES.items():
            action = QAction(name, self, checkable=True)
            action.triggered.connect(lambda _checked=False, c=code: self.set_language(c))
            group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[code] = action

    def _wire(self) -> None:
        w = self.engine.worker
        w.loadProgress.connect(self._on_load_progress)
        w.loaded.connect(self._on_loaded)
        w.loadFailed.connect(self._on_load_failed)
        w.stage.connect(self._on_stage)
        w.piece.connect(self.results.add_piece)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        self.form.submit_button.clicked.connect(self.submit)
        self.form.cancel_button.clicked.connect(self.cancel)
        self.form.clear_button.clicked.connect(self.clear)
        self.model_bar.openRequested.connect(self._pick_model)
        self.model_bar.optionsChanged.connect(self._reload_timer.start)
        self.results.candidatePicked.connect(self.pick_candidate)
        self.results.editChanged.connect(self._edit_timer.start)
        self.results.save_button.clicked.connect(self.save)
        self.results.copy_button.clicked.connect(self.copy_json)
        self.results.undo_button.clicked.connect(self.undo)
        self.results.browse_button.clicked.connect(self._pick_dataset)

    def _restore(self) -> None:
        s = self.settings
        self.form.set_params(s.params)
        self.model_bar.threads.blockSignals(True)
        self.model_bar.threads.setValue(s.threads or default_threads())
        self.model_bar.threads.blockSignals(False)
        self.model_bar.gpu_layers.blockSignals(True)
        self.model_bar.gpu_layers.setValue(s.gpu_layers)
        self.model_bar.gpu_layers.blockSignals(False)
        self.results.dataset_path.setText(s.dataset_file or str(default_dataset()))
        fmt_index = self.results.dataset_format.findData(s.dataset_format)
        self.results.dataset_format.setCurrentIndex(max(0, fmt_index))
        self.results.auto_save.setChecked(s.auto_save)
        if s.window_geometry:
            try:
                self.restoreGeometry(QByteArray(base64.b64decode(s.window_geometry)))
            except ValueError:
                log.warning("ignoring a bad saved window geometry")

    def start(self, model: str | None = None) -> None:
        """Once the window is shown: ask llama.cpp about GPU support, then load ``model`` or the one the
        CLI would pick."""
        self.model_bar.set_gpu_supported(_gpu_supported())
        if model:
            self.open_model(model, remember=False)
            return
        try:
            resolved = resolve_model(None, self.settings)
        except OpeningError as exc:
            self.model_bar.show_text(tr("no_model"))
            self.show_error(str(exc))
            return
        self.open_model(resolved.path, remember=False)

    # -- model -----------------------------------------------------------------------------------

    def open_model(self, path: str | Path, *, remember: bool = True) -> bool:
        """Check the file (before llama.cpp sees it), then load it on the engine thread."""
        path = Path(path)
        try:
            info = inspect_gguf(path)
        except OpeningError as exc:
            self.show_error(str(exc))
            return False
        if self.load_job is not None:
            self.load_job.cancel.set()
        self._fit_warning = self._fit_check(info)
        self.model_path, self.model_ready = path, False
        self._remember_model = remember
        self.model_bar.show_text(tr("loading_model", name=info.name), str(path))
        self.model_bar.set_progress(0.0)
        self._model_text = describe_model(info)
        settings = engine_settings(self.settings, threads=self.model_bar.threads.value(),
                                   gpu_layers=self.model_bar.gpu_layers.value())
        self.load_job = LoadJob(path, settings)
        self.engine.load(self.load_job)
        return True

    def _fit_check(self, info: GGUFInfo) -> str:
        """The memory guardrail: a warning (shown with the load result) when the run will not fit."""
        params = SamplingParams(**self.form.params())
        use_mmap = self.settings.use_mmap if self.settings.use_mmap is not None else bool(
            self.model_bar.gpu_layers.value() and self.model_bar.gpu_supported)
        warning = estimate(info, params, use_mmap=use_mmap, repack=self.settings.repack).warning()
        return tr("fit_warning", warning=warning) if warning else ""

    def show_download_dialog(self) -> DownloadDialog:
        dialog = DownloadDialog(self)
        dialog.downloaded.connect(self.open_model)
        return self._show(dialog)

    def show_convert_dialog(self) -> ConvertDialog:
        dialog = ConvertDialog(self)
        dialog.converted.connect(self.open_model)
        return self._show(dialog)

    @staticmethod
    def _show(dialog: QDialogT) -> QDialogT:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    @Slot()
    def reload_model(self) -> None:
        self.settings.threads = self.model_bar.threads.value()
        self.settings.gpu_layers = self.model_bar.gpu_layers.value()
        if self.model_path is not None:
            self.open_model(self.model_path, remember=False)

    def _pick_model(self) -> None:
        start = str(self.model_path.parent) if self.model_path else str(paths.models_dir())
        name, _ = QFileDialog.getOpenFileName(self, tr("pick_model"), start, tr("gguf_filter"))
        if name:
            self.open_model(name)

    @Slot(float)
    def _on_load_progress(self, fraction: float) -> None:
        self.model_bar.set_progress(fraction)

    @Slot(object)
    def _on_loaded(self, loaded: Loaded) -> None:
        if loaded.path != self.model_path:
            return  # an older load finished after the user opened another model
        self.model_ready = True
        self.load_job = None
        self.model_bar.set_progress(None)
        self.model_bar.show_text(self._model_text, str(loaded.path))
        if self._remember_model:
            self.settings.default_model = str(loaded.path)
            self._save_settings()
        message = tr("status_loaded", name=loaded.name, seconds=loaded.load_ms / 1000)
        if loaded.gpu_note or self._fit_warning:
            self.show_error(" ".join(m for m in (message, loaded.gpu_note, self._fit_warning) if m))
        elif self.run_job is None:
            self.show_status(message)
        self.modelChanged.emit(True)

    @Slot(object, str)
    def _on_load_failed(self, path: Path, reason: str) -> None:
        if path != self.model_path:
            return  # an older load, superseded by the one now under way
        self.model_ready = False
        self.load_job = None
        self.model_bar.set_progress(None)
        self.model_bar.show_text(tr("model_failed", reason=reason), str(self.model_path))
        self.show_error(reason)
        self.modelChanged.emit(False)

    # -- a run -----------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.run_job is not None

    @Slot()
    def submit(self) -> None:
        if self.busy:
            self.show_error(tr("busy"))
            return
        try:
            text = check_text(self.form.output_text.toPlainText().strip())
            params = SamplingParams(**self.form.params(), seed=self.seed)
            params.validate()
            if self.results.auto_save.isChecked():
                self.dataset()  # a bad save target is reported now, not after the work
        except OpeningError as exc:
            self.show_error(str(exc))
            return
        if self.model_path is None:
            self.show_error(tr("no_model"))
            return
        self.settings.params = self.form.params()
        self._flush_edit()
        self.outcome, self.review, self.saved = None, None, None
        self.results.set_saved(False)
        self.results.start(params.n)
        self.run_job = RunJob(Request(text=text, params=params))
        self.form.set_busy(True)
        self.show_status(tr("status_generating", n=params.n))
        self.engine.run(self.run_job)

    @Slot()
    def cancel(self) -> None:
        if self.run_job is not None:
            self.run_job.cancel.set()
            self.form.cancel_button.setEnabled(False)
            self.show_status(tr("status_cancelling"))

    @Slot(str, float)
    def _on_stage(self, stage: str, fraction: float) -> None:
        if stage == "ranking" and self.run_job is not None and not self.run_job.cancel.is_set():
            self.show_status(tr("status_ranking", pct=100 * fraction))

    @Slot(object, float)
    def _on_finished(self, outcome: Outcome | None, seconds: float) -> None:
        self.run_job = None
        self.form.set_busy(False)
        try:
            self._show_outcome(outcome, seconds)
        finally:
            self.runFinished.emit()

    def _show_outcome(self, outcome: Outcome | None, seconds: float) -> None:
        if outcome is None or outcome.ranking is None:
            self.show_status(tr("status_cancelled"))
            return
        self.outcome = outcome
        self.review = Review(outcome.records)
        self.results.show_ranking(outcome.ranking, outcome.chosen)
        if outcome.chosen is not None:
            self.pick_candidate(outcome.chosen)
        if outcome.chosen is None:
            self.show_error(tr("status_all_rejected", reasons=outcome.ranking.rejection_summary()))
            return
        self.show_status(tr("status_done", n=len(outcome.ranking.candidates), seconds=seconds))
        if self.results.auto_save.isChecked():
            self.save()

    @Slot(str, bool)
    def _on_failed(self, message: str, _bad_input: bool) -> None:
        self.run_job = None
        self.form.set_busy(False)
        self.show_error(message)
        self.runFinished.emit()

    @Slot()
    def clear(self) -> None:
        self._flush_edit()
        self.form.output_text.clear()
        self.results.clear()
        self.outcome, self.review, self.saved = None, None, None
        self.results.set_saved(False)
        self.show_status(tr("status_ready"))

    # -- review and save -------------------------------------------------------------------------

    @Slot(int)
    def pick_candidate(self, index: int) -> None:
        if self.review is None:
            return
        self._edit_timer.stop()
        self.review.select(index)
        record = self.review.current()
        self.results.set_editors(record.instruction if record else "", record.input if record else "")
        self._review_changed()

    @Slot()
    def apply_edit(self) -> None:
        if self.review is None:
            return
        self.review.set_edit(*self.results.editors())
        self._review_changed()

    def _flush_edit(self) -> None:
        if self._edit_timer.isActive():
            self._edit_timer.stop()
            self.apply_edit()

    def _review_changed(self) -> None:
        assert self.review is not None
        self.results.set_json(self.review.json_text())
        if self.saved is not None:
            self._update_saved()

    def dataset(self) -> DatasetFile:
        text = self.results.dataset_path.text().strip()
        path = Path(text).expanduser() if text else default_dataset()
        if path == default_dataset():
            path.parent.mkdir(parents=True, exist_ok=True)
        return DatasetFile.open(path, self.results.dataset_format.currentData())

    @Slot()
    def save(self) -> None:
        self._flush_edit()
        if self.saved is not None:
            self._update_saved()
            return
        record = self.review.current() if self.review else None
        if record is None:
            self.show_error(tr("error", reason="there is no pair to save yet"))
            return
        try:
            self.saved = SavedPair.save(self.dataset(), record)
        except OpeningError as exc:
            self.show_error(str(exc))
            return
        self.results.set_saved(True)
        self._say("status_saved", self.saved, self.saved.position + 1)  # appended last

    def _update_saved(self) -> None:
        assert self.saved is not None and self.review is not None
        record = self.review.current()
        if record is None:
            return
        try:
            count = self.saved.update(record)
        except OpeningError as exc:
            self.show_error(str(exc))
            return
        if count is not None:
            self._say("status_updated", self.saved, count)

    @Slot()
    def undo(self) -> None:
        if self.saved is None:
            return
        try:
            count = self.saved.undo()
        except OpeningError as exc:
            self.show_error(str(exc))
            return
        saved, self.saved = self.saved, None
        self.results.set_saved(False)
        self._say("status_undone", saved, count)

    def _say(self, key: str, saved: SavedPair, count: int) -> None:
        self.show_status(tr(key, n=saved.position + 1, path=saved.dataset.path, count=count))

    @Slot()
    def copy_json(self) -> None:
        QGuiApplication.clipboard().setText(self.results.json_view.toPlainText())
        self.show_status(tr("status_copied"))

    def _pick_dataset(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, tr("pick_dataset"), self.results.dataset_path.text(), tr("dataset_filter"),
            options=QFileDialog.Option.DontConfirmOverwrite,  # we append; we never overwrite
        )
        if name:
            self.results.dataset_path.setText(name)

    # -- language, status, closing ---------------------------------------------------------------

    def set_language(self, code: str) -> None:
        strings.set_language(code)
        self.settings.language = code
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(tr("title"))
        self.models_menu.setTitle(tr("models_menu"))
        self.download_action.setText(tr("download_menu"))
        self.convert_action.setText(tr("convert_menu"))
        self.language_menu.setTitle(tr("language"))
        self.language_actions[strings.language()].setChecked(True)
        self.model_bar.retranslate()
        self.form.retranslate()
        self.results.retranslate()
        self.results.set_saved(self.saved is not None)
        if self.outcome is not None and self.outcome.ranking is not None:
            self.results.show_ranking(self.outcome.ranking, self.review.selected if self.review else None)

    def show_status(self, message: str) -> None:
        self.status.setStyleSheet("")
        self.status.setText(message)

    def show_error(self, message: str) -> None:
        log.info("shown to the user: %s", message)
        self.status.setStyleSheet("color: #b00020;")
        self.status.setText(message)

    def _save_settings(self) -> None:
        s = self.settings
        s.params = self.form.params()
        s.dataset_file = self.results.dataset_path.text().strip() or None
        s.dataset_format = self.results.dataset_format.currentData()
        s.auto_save = self.results.auto_save.isChecked()
        s.window_geometry = base64.b64encode(bytes(self.saveGeometry().data())).decode("ascii")
        try:
            s.save()
        except OSError as exc:
            log.warning("could not save the settings: %s", exc)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        self._flush_edit()
        for job in (self.run_job, self.load_job):
            if job is not None:
                job.cancel.set()
        self._save_settings()
        self.engine.stop()
        super().closeEvent(event)


def _gpu_supported() -> bool:
    try:
        return gpu_offload_supported()
    except Exception as exc:  # a broken llama.cpp install must not stop the window from working
        log.warning("could not ask llama.cpp about GPU support: %s", exc)
        return False


def default_dataset() -> Path:
    return paths.datasets_dir() / "pairs.json"
