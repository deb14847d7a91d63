"""The model side of the window: which model is open (and which smaller one scores its candidates),
loading them on the engine thread (checked first, with progress and cancel), the memory warning, and
reloading when Threads, GPU layers or the scorer change."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from opening.base.errors import OpeningError
from opening.base.messages import Message
from opening.base.sampling import SamplingParams
from opening.base.settings import Settings
from opening.gui.engine_worker import EngineThread, Loaded, LoadJob
from opening.gui.model_bar import ModelBar, describe_model
from opening.gui.strings import Words, error_words, message_text, tr, words
from opening.llama.backend import gpu_offload_supported
from opening.models.gguf_file import inspect_gguf
from opening.models.resolve import resolve_model, resolve_scorer
from opening.pipeline.run import check_fit, engine_settings

log = logging.getLogger(__name__)
RELOAD_DELAY_MS = 600


class ModelControl(QObject):
    changed = Signal(bool)
    """On the GUI thread when a load ends (True: loaded)."""
    message = Signal(object, bool)  # Words or text, error
    """(text, is an error) for the window's status line."""

    def __init__(
        self,
        bar: ModelBar,
        engine: EngineThread,
        settings: Settings,
        params: Callable[[], SamplingParams],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bar, self.engine, self.settings, self.params = bar, engine, settings, params
        self.path: Path | None = None
        self.ready = False
        self.job: LoadJob | None = None
        self._remember = False
        self._caption = ""
        self._fit_warning = ""
        self._scorer_note: Message | None = None
        self._reload = QTimer(self, singleShot=True, interval=RELOAD_DELAY_MS)
        self._reload.timeout.connect(self.reload)
        bar.optionsChanged.connect(self._reload.start)
        bar.scorerCleared.connect(lambda: self.set_scorer(None))
        w = engine.worker
        w.loadProgress.connect(self._on_progress)
        w.loaded.connect(self._on_loaded)
        w.loadFailed.connect(self._on_failed)

    def start(self, model: str | None = None) -> None:
        """Once the window shows: ask llama.cpp about GPU support, then open ``model`` or the CLI's choice."""
        self.bar.set_gpu_supported(_gpu_supported())
        if model:
            self.open(model, remember=False)
            return
        try:
            self.open(resolve_model(None, self.settings).path, remember=False)
        except OpeningError as exc:
            self.bar.show_text(tr("no_model"))
            self.message.emit(error_words(exc), True)

    def open(self, path: str | Path, *, remember: bool = True) -> bool:
        """Check the file (before llama.cpp sees it), then load it on the engine thread."""
        path = Path(path)
        try:
            info = inspect_gguf(path)
        except OpeningError as exc:
            self.message.emit(error_words(exc), True)
            return False
        if self.job is not None:
            self.job.cancel.set()
        chosen = engine_settings(self.settings, threads=self.bar.threads.value(), gpu_layers=self.bar.gpu_layers.value())
        warning = check_fit(info, self.params(), chosen).warning()
        self._fit_warning = warning
        self.path, self.ready, self._remember = path, False, remember
        self.bar.show_text(tr("loading_model", name=info.name), str(path))
        self.bar.set_progress(0.0)
        self._caption = describe_model(info)
        self.job = LoadJob(path, chosen, scorer=self._scorer())
        self.engine.load(self.job)
        return True

    def _scorer(self) -> Path | None:
        """The settings' scorer, if it is still there (a missing one is said once the model is loaded, and
        the model scores its own candidates)."""
        self._scorer_note = None
        try:
            return resolve_scorer(None, self.settings)
        except OpeningError as exc:
            self._scorer_note = Message("scorer.not_loaded", {"reason": exc.message})
            return None

    def set_scorer(self, path: str | Path | None) -> None:
        """Score with ``path`` from now on (None: the model itself), remembered in the settings; reloads."""
        self.settings.scorer_model = str(path) if path else None
        try:
            self.settings.save()
        except OpeningError as exc:
            log.warning("%s", exc)
        if self.path is not None:
            self.open(self.path, remember=False)

    @Slot()
    def reload(self) -> None:
        self.settings.threads = self.bar.threads.value()
        self.settings.gpu_layers = self.bar.gpu_layers.value()
        if self.path is not None:
            self.open(self.path, remember=False)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()

    @Slot(float)
    def _on_progress(self, fraction: float) -> None:
        self.bar.set_progress(fraction)

    @Slot(object)
    def _on_loaded(self, loaded: Loaded) -> None:
        if loaded.path != self.path:
            return  # an older load finished after the user opened another model
        self.ready, self.job = True, None
        self.bar.set_progress(None)
        self.bar.show_text(self._caption, str(loaded.path))
        self.bar.set_scorer(loaded.scorer_name)
        if self._remember:
            self.settings.default_model = str(loaded.path)
            try:
                self.settings.save()
            except OpeningError as exc:
                log.warning("%s", exc)
        notes = [m for m in (loaded.gpu_note, self._fit_warning, loaded.scorer_note or self._scorer_note) if m]
        seconds = loaded.load_ms / 1000
        said = (
            words("status_loaded_scorer", name=loaded.name, seconds=seconds, scorer=loaded.scorer_name)
            if loaded.scorer_name
            else words("status_loaded", name=loaded.name, seconds=seconds)
        )
        self.message.emit(Words(lambda: " ".join([str(said), *map(message_text, notes)])), bool(notes))
        self.changed.emit(True)

    @Slot(object, object)
    def _on_failed(self, path: Path, reason: Words | str) -> None:
        if path != self.path:
            return  # an older load, superseded by the one now under way
        self.ready, self.job = False, None
        self.bar.set_progress(None)
        self.bar.show_text(tr("model_failed", reason=reason), str(self.path))
        self.message.emit(reason, True)
        self.changed.emit(False)


def _gpu_supported() -> bool:
    try:
        return gpu_offload_supported()
    except Exception as exc:  # a broken llama.cpp install must not stop the window from working
        log.warning("could not ask llama.cpp about GPU support: %s", exc)
        return False
