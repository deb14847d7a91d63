"""The engine on its own thread: load a model, run requests, report back with signals.

Every call from the window is a queued signal, so the worker runs one thing at a time in order. Cancel
is not queued (the worker is busy when it matters): each job carries a ``threading.Event`` the window
sets directly. Signals from here reach the window's bound methods on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from opening.base.errors import BadInput, Cancelled, OpeningError
from opening.base.messages import Message
from opening.gui.strings import error_words, words
from opening.llama.engine import EngineSettings
from opening.pipeline.batch import BatchSpec
from opening.pipeline.request import Request
from opening.pipeline.run import Outcome

log = logging.getLogger(__name__)


@dataclass
class LoadJob:
    path: Path
    settings: EngineSettings
    cancel: threading.Event = field(default_factory=threading.Event)
    scorer: Path | None = None
    """A smaller model that scores the candidates (the settings' ``scorer_model``); None: the model scores."""


@dataclass
class RunJob:
    request: Request
    source: str = "window"
    partial: Outcome | None = None
    """A cancelled run whose finished candidates are to be ranked ("Rank what is done"), not a new run."""
    cancel: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.perf_counter)


@dataclass
class BatchJob:
    spec: BatchSpec
    pause: threading.Event = field(default_factory=threading.Event)
    """Stop after the passages in flight (Resume starts the job again: the ledger continues it)."""
    cancel: threading.Event = field(default_factory=threading.Event)
    """Stop now, abandoning the passages in flight (it is not written)."""


@dataclass
class Loaded:
    path: Path
    name: str
    load_ms: float
    gpu_note: Message | None = None
    """Why the model ended up on the CPU when GPU layers were asked for ("" otherwise)."""
    scorer_name: str | None = None
    """The scorer's name when one was loaded."""
    scorer_note: Message | None = None
    """Why the scorer asked for could not be loaded (the model then scores its own candidates)."""


class EngineWorker(QObject):
    loadProgress = Signal(float)
    loaded = Signal(object)  # Loaded
    loadFailed = Signal(object, object)  # path, reason (Words or text)
    stage = Signal(str, float)  # "generating" / "scoring" / "hashing", fraction done
    piece = Signal(int, str)
    finished = Signal(object, float)  # Outcome, seconds
    failed = Signal(object, bool)  # message (Words or text), bad input (True) or failure (False)
    batchPrepared = Signal(object)  # pipeline.batch.Prepared
    batchPlanned = Signal(object)  # pipeline.batch.BatchPlan
    batchRecord = Signal(object, object)  # the record written, BatchStats
    batchFinished = Signal(object)  # BatchStats, or None when it failed before running
    batchFailed = Signal(object)  # Words or text

    def __init__(self) -> None:
        super().__init__()
        self._engine = None

    @Slot(object)
    def load(self, job: LoadJob) -> None:
        from opening.pipeline.run import open_engine, open_scorer

        self.close()
        try:
            self._engine, note = open_engine(job.path, job.settings, progress=self._progress, cancel=job.cancel.is_set)
        except Cancelled:
            return
        except OpeningError as exc:
            self.loadFailed.emit(job.path, error_words(exc))
            return
        except Exception as exc:  # never let a worker exception vanish
            log.exception("model load crashed")
            self.loadFailed.emit(job.path, f"{type(exc).__name__}: {exc}")
            return
        scorer_name, scorer_note = None, None
        if job.scorer is not None:
            try:
                open_scorer(self._engine, job.scorer, job.settings, cancel=job.cancel.is_set)
                scorer_name = self._engine.scorer.model.name if self._engine.scorer is not None else None
            except Cancelled:
                self.close()
                return
            except OpeningError as exc:  # the model works without it: say so, keep going
                scorer_note = Message("scorer.not_loaded", {"reason": exc.message})
        self.loaded.emit(Loaded(job.path, self._engine.model.name, self._engine.load_ms, note, scorer_name, scorer_note))

    def _progress(self, _stage: str, fraction: float) -> None:
        self.loadProgress.emit(fraction)

    @Slot(object)
    def run(self, job: RunJob) -> None:
        from opening.pipeline.run import rank_finished, run_request

        if job.cancel.is_set():
            self.finished.emit(None, 0.0)
            return
        if self._engine is None:
            self.failed.emit(words("no_model"), False)
            return
        try:
            if job.partial is not None:
                ranked = rank_finished(
                    self._engine, job.partial, source=job.source, cancel=job.cancel.is_set, on_stage=self.stage.emit
                )
                self.finished.emit(ranked, time.perf_counter() - job.started)
                return
            outcome = run_request(
                self._engine,
                job.request,
                source=job.source,
                on_piece=self.piece.emit,
                cancel=job.cancel.is_set,
                on_stage=self.stage.emit,
            )
        except BadInput as exc:
            self.failed.emit(error_words(exc), True)
            return
        except OpeningError as exc:
            self.failed.emit(error_words(exc), False)
            return
        except Exception as exc:
            log.exception("run crashed")
            self.failed.emit(f"{type(exc).__name__}: {exc}", False)
            return
        self.finished.emit(outcome, time.perf_counter() - job.started)

    @Slot(object)
    def run_batch(self, job: BatchJob) -> None:
        from opening.models.file_hash import cached_sha256
        from opening.pipeline.batch import open_ledger, plan_run, prepare, run_batch
        from opening.pipeline.templates import model_family

        if self._engine is None:
            self.batchFailed.emit("no model is loaded")
            return
        engine = self._engine
        try:
            family = model_family(job.spec.family, engine.model.info)
            scorer_sha = cached_sha256(engine.scorer.model.path) if engine.scorer is not None else None
            ledger = open_ledger(job.spec, cached_sha256(engine.model.path), family, scorer_sha)
            job.spec.family = family
            prepared = prepare(engine, job.spec, ledger)
            self.batchPrepared.emit(prepared)
            plan = plan_run(engine, job.spec, prepared)
            self.batchPlanned.emit(plan)
            stats = run_batch(
                engine,
                job.spec,
                prepared,
                ledger,
                stop=job.pause.is_set,
                cancel=job.cancel.is_set,
                on_record=self.batchRecord.emit,
                plan=plan,
            )
        except OpeningError as exc:
            self.batchFailed.emit(error_words(exc))
            return
        except Exception as exc:
            log.exception("batch crashed")
            self.batchFailed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.batchFinished.emit(stats)

    @Slot()
    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


class EngineThread(QObject):
    """Owns the worker and its thread; ``submit``/``load`` queue work, ``stop`` ends it cleanly."""

    _load = Signal(object)
    _run = Signal(object)
    _batch = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("opening-engine")
        self.worker = EngineWorker()
        self.worker.moveToThread(self.thread)
        self._load.connect(self.worker.load)
        self._run.connect(self.worker.run)
        self._batch.connect(self.worker.run_batch)
        self.thread.start()

    def load(self, job: LoadJob) -> None:
        self._load.emit(job)

    def run(self, job: RunJob) -> None:
        self._run.emit(job)

    def run_batch(self, job: BatchJob) -> None:
        self._batch.emit(job)

    def stop(self) -> None:
        """Finish the current job (cancel it first), free the model, end the thread."""
        if not self.thread.isRunning():
            return
        self.thread.quit()
        self.thread.wait()
        self.worker.close()  # the thread has ended: safe to free llama.cpp objects from here
