"""The main window: wires the form, the model bar and the results to the engine thread and the core.

Everything that decides something (which model, checking text and parameters, ranking, the pair, saving)
is a core call; loading lives in ``model_control``, the user's actions on a pair in ``operations``; this
module only moves values between widgets and those calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent
from PySide6.QtWidgets import QDialog, QMainWindow, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget

from opening.base.sampling import SamplingParams
from opening.base.settings import Settings
from opening.data.records import fold_input
from opening.data.review import Review, SavedPair
from opening.gui import operations, session, shortcuts, strings, window_state
from opening.gui.batch_panel import BatchPanel
from opening.gui.convert_dialog import ConvertDialog
from opening.gui.download_dialog import DownloadDialog
from opening.gui.engine_worker import EngineThread, RunJob
from opening.gui.form_panel import FormPanel
from opening.gui.model_bar import ModelBar
from opening.gui.model_control import ModelControl
from opening.gui.operations import default_dataset
from opening.gui.results_panel import ResultsPanel
from opening.gui.review_panel import ReviewPanel
from opening.gui.run_progress import RunProgress
from opening.gui.self_test_action import SelfTestAction
from opening.gui.status_line import StatusLine
from opening.gui.strings import Words, tr, words
from opening.models.registry import known_models
from opening.models.trained import trained_generators
from opening.pipeline.run import Outcome, finished_candidates

log = logging.getLogger(__name__)
QDialogT = TypeVar("QDialogT", bound=QDialog)
EDIT_DELAY_MS = 400
__all__ = ["LastRun", "MainWindow", "default_dataset"]


@dataclass
class LastRun:
    """What the candidate list shows of the last run (a finished one, or the previous session's)."""

    report: dict[str, Any]
    order: list[int]
    """Candidate indexes, best first."""
    helps_below: float


class MainWindow(QMainWindow):
    runFinished = Signal()
    """Emitted on the GUI thread when a run ends in any way (done, cancelled, failed)."""

    def __init__(self, settings: Settings, *, seed: int | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.seed = seed
        """A fixed seed makes runs reproducible (``opening-desktop --seed N``); None draws a new one."""
        self.engine = EngineThread(self)
        self.run_job: RunJob | None = None
        self.outcome: Outcome | None = None
        self.cancelled: Outcome | None = None
        """The last run, when it was cancelled with candidates finished ("Rank what is done" ranks them)."""
        self.review: Review | None = None
        self.saved: SavedPair | None = None
        self.last_run: LastRun | None = None
        self.model_bar, self.form, self.results = ModelBar(), FormPanel(), ResultsPanel()
        self.models = ModelControl(self.model_bar, self.engine, settings, self.form_params, self)
        self.modelChanged = self.models.changed
        splitter = QSplitter()
        for index, (panel, stretch) in enumerate(((self.form, 4), (self.results, 5))):
            splitter.addWidget(panel)
            splitter.setStretchFactor(index, stretch)
        splitter.setChildrenCollapsible(False)
        self.batch = BatchPanel(
            self.engine,
            self.form_params,
            self.settings.choice_params,
            lambda: tr("no_model") if not self.models.ready else tr("busy") if self.run_job is not None else None,
            self._on_model_message,
        )
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.addTab(splitter, "")
        self.tabs.addTab(self.batch, "")
        self.review_panel = ReviewPanel()
        self.tabs.addTab(self.review_panel, "")
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.model_bar)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.status = StatusLine()
        self.statusBar().addWidget(self.status, 1)
        self.progress = RunProgress()
        self.statusBar().addPermanentWidget(self.progress)
        self._build_menu()
        self._edit_timer = QTimer(self, singleShot=True, interval=EDIT_DELAY_MS)
        self._edit_timer.timeout.connect(self.apply_edit)
        self._wire()
        window_state.restore(self)
        self.retranslate()
        self.show_status(words("status_restored") if session.restore(self) else words("status_ready"))
        self.form.output_text.setFocus()  # typing starts in the text box

    def open_review(self, path: str) -> None:
        """``opening review FILE``: the Review tab, on that file."""
        self.tabs.setCurrentWidget(self.review_panel)
        self.review_panel.open_file(path)
        self.review_panel.table.setFocus()

    # -- set-up ----------------------------------------------------------------------------------

    def _build_menu(self) -> None:
        self.models_menu = self.menuBar().addMenu("")
        self.pick_menu = self.models_menu.addMenu("")
        self.pick_menu.setObjectName("modelPicker")
        self.pick_menu.aboutToShow.connect(self.fill_model_picker)
        self.open_action = self.models_menu.addAction("", lambda: operations.choose_model(self))
        self.trained_menu = self.models_menu.addMenu("")
        self.trained_menu.setObjectName("trainedPicker")
        self.trained_menu.aboutToShow.connect(self.fill_trained_menu)
        self.models_menu.addSeparator()
        self.download_action = self.models_menu.addAction("", self.show_download_dialog)
        self.convert_action = self.models_menu.addAction("", self.show_convert_dialog)
        self.language_menu = self.menuBar().addMenu("")
        group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code, name in strings.LANGUAGES.items():
            action = QAction(name, self, checkable=True)
            action.triggered.connect(lambda _checked=False, c=code: self.set_language(c))
            group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[code] = action
        self.help_menu = self.menuBar().addMenu("")
        self.shortcuts_action = self.help_menu.addAction("", self.show_shortcuts)
        self.self_test = SelfTestAction(self)
        self.self_test_action = self.help_menu.addAction("", self.run_self_test)

    def fill_model_picker(self) -> None:
        """Models ▸ Open a model: the downloaded, converted, added and found models and the demo model
        (marked as too small for real data); the one loaded is checked; choosing one opens it."""
        self.pick_menu.clear()
        current = str(self.models.path.resolve()) if self.models.path else None
        for known in known_models():
            path = Path(known.path)
            parts = [path.name]
            if known.repo_id:
                parts.append(known.repo_id)
            parts.append(tr("demo_too_small") if known.source == "embedded" else tr(f"model_source_{known.source}"))
            action = self.pick_menu.addAction(" — ".join(parts))
            action.setCheckable(True)
            action.setChecked(str(path.resolve()) == current)
            action.setToolTip(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.open_model(p))
        if self.pick_menu.isEmpty():
            self.pick_menu.addAction(tr("no_models_yet")).setEnabled(False)

    def fill_trained_menu(self) -> None:
        """Models ▸ Use a generator I trained: the GGUFs ``opening-train fit`` wrote, each with its base, pairs
        and last evaluation (``opening eval-choice`` records it); choosing one opens it."""
        self.trained_menu.clear()
        current = str(self.models.path.resolve()) if self.models.path else None
        for trained in trained_generators():
            action = self.trained_menu.addAction(trained.line())
            action.setCheckable(True)
            action.setChecked(str(trained.path.resolve()) == current)
            action.setToolTip(str(trained.path))
            action.triggered.connect(lambda _checked=False, p=trained.path: self.open_model(p))
        if self.trained_menu.isEmpty():
            self.trained_menu.addAction(tr("no_trained_yet")).setEnabled(False)

    def show_shortcuts(self) -> None:
        """Help ▸ Keyboard shortcuts: the list made from the same table that installs them."""
        box = QMessageBox(QMessageBox.Icon.NoIcon, tr("shortcuts_title"), shortcuts.table_html(), parent=self)
        box.setObjectName("shortcutsDialog")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def pick_row(self, row: int) -> None:
        """Ctrl+1 … Ctrl+9: the candidate on that row of the list (best first), on the one-text tab."""
        if self.tabs.currentIndex() == 0 and 0 <= row < self.results.candidate_list.count():
            self.results.candidate_list.setCurrentRow(row)
            self.results.candidate_list.setFocus()

    def _on_one_text_tab(self, action: Callable[[], None]) -> Callable[[], None]:
        return lambda: action() if self.tabs.currentIndex() == 0 else None

    def run_self_test(self) -> None:
        """Help ▸ Self-test: the demo model end to end, on its own thread; the verdict in a message box."""
        if self.self_test.start():
            self.show_status(words("self_test_running"))

    def bring_to_front(self) -> None:
        """Another start of the app asked for this window."""
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def _wire(self) -> None:
        w = self.engine.worker
        w.stage.connect(self._on_stage)
        w.piece.connect(self.results.add_piece)
        w.piece.connect(self.progress.piece)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        self.models.message.connect(self._on_model_message)
        self.review_panel.message.connect(self._on_model_message)
        self.model_bar.openRequested.connect(lambda: operations.choose_model(self))
        self.model_bar.scorerRequested.connect(lambda: operations.choose_scorer(self))
        self.form.submit_button.clicked.connect(self.submit)
        self.form.cancel_button.clicked.connect(lambda: operations.cancel_run(self))
        self.form.clear_button.clicked.connect(lambda: operations.clear(self))
        self.results.candidatePicked.connect(self.pick_candidate)
        self.results.editChanged.connect(self._edit_timer.start)
        self.results.save_button.clicked.connect(lambda: operations.save_pair(self))
        self.results.copy_button.clicked.connect(lambda: operations.copy_json(self))
        self.results.undo_button.clicked.connect(lambda: operations.undo_save(self))
        self.results.browse_button.clicked.connect(lambda: operations.choose_dataset(self))
        self.results.rank_button.clicked.connect(lambda: operations.rank_done(self))
        self.shortcuts = shortcuts.install(
            self,
            {
                "submit": self._on_one_text_tab(self.submit),
                "cancel": lambda: operations.cancel_run(self),
                "save": self._on_one_text_tab(lambda: operations.save_pair(self)),
                "copy_json": self._on_one_text_tab(lambda: operations.copy_json(self)),
                "focus_text": self._on_one_text_tab(self.form.output_text.setFocus),
            },
            self.pick_row,
        )
        editors = (self.form.output_text, self.results.instruction_edit, self.results.json_view, self.review_panel.instruction)
        for editor in editors:
            editor.setTabChangesFocus(True)  # Tab leaves a text box (a tab character is never typed)

    def start(self, model: str | None = None) -> None:
        """Once the window is shown: load ``model`` or the one the CLI would pick."""
        self.models.start(model)

    def open_model(self, path: object, *, remember: bool = True) -> bool:
        return self.models.open(str(path), remember=remember)

    def form_params(self) -> SamplingParams:
        return SamplingParams(**self.form.params(), seed=self.seed)

    def show_download_dialog(self) -> DownloadDialog:
        return operations.show_dialog(self, DownloadDialog(self, self.settings), "downloaded")

    def show_convert_dialog(self) -> ConvertDialog:
        return operations.show_dialog(self, ConvertDialog(self), "converted")

    @Slot(object, bool)
    def _on_model_message(self, text: Words | str, error: bool) -> None:
        if error:
            self.show_error(text)
        elif self.run_job is None:
            self.show_status(text)

    # -- a run -----------------------------------------------------------------------------------

    def submit(self) -> None:
        operations.submit(self)

    @Slot(str, float)
    def _on_stage(self, stage: str, fraction: float) -> None:
        if stage in ("scoring", "hashing") and self.run_job is not None and not self.run_job.cancel.is_set():
            self.show_status(words("status_ranking" if stage == "scoring" else "status_hashing", pct=100 * fraction))
            if stage == "scoring":
                self.progress.scoring(fraction)

    @Slot(object, float)
    def _on_finished(self, outcome: Outcome | None, seconds: float) -> None:
        self.run_job = None
        self.form.set_busy(False)
        self.progress.done(seconds)
        try:
            self._show_outcome(outcome, seconds)
        finally:
            self.runFinished.emit()

    def _show_outcome(self, outcome: Outcome | None, seconds: float) -> None:
        self.cancelled = None
        self.results.rank_button.setVisible(False)
        if outcome is None or outcome.ranking is None:
            finished = 0 if outcome is None else finished_candidates(outcome.result)
            if finished:
                self.cancelled = outcome
                self.results.rank_button.setVisible(True)
                self.show_status(words("status_cancelled_rank", n=finished))
            else:
                self.show_status(words("status_cancelled"))
            return
        self.outcome, self.review = outcome, Review(outcome.records)
        ranking = outcome.ranking
        self.last_run = LastRun(outcome.report, ranking.order(), ranking.choice.helps_below)
        self.results.show_ranking(outcome, outcome.chosen)
        if outcome.chosen is None and ranking.best is not None:  # nothing helps: shown, never auto-saved
            self.results.select_index(ranking.best)
            best = ranking.candidates[ranking.best]
            self.show_error(words("status_nothing_helps", ifd=best.ifd or 0.0, limit=ranking.choice.helps_below))
            return
        if outcome.chosen is None:
            counts = ranking.rejection_counts()
            reasons = lambda: ", ".join(f"{strings.reason(r)}: {n}" for r, n in counts.items())  # noqa: E731
            self.show_error(Words(lambda: tr("status_all_rejected", reasons=reasons())))
            return
        self.pick_candidate(outcome.chosen)
        self.show_status(words("status_done", n=len(outcome.candidates), seconds=seconds))
        if self.results.auto_save.isChecked():
            operations.save_pair(self)

    @Slot(object, bool)
    def _on_failed(self, message: Words | str, _bad_input: bool) -> None:
        self.run_job = None
        self.form.set_busy(False)
        self.progress.idle()
        self.show_error(message)
        self.runFinished.emit()

    # -- review ----------------------------------------------------------------------------------

    @Slot(int)
    def pick_candidate(self, index: int) -> None:
        """Show candidate ``index`` for review. A saved pair stays as it is until the user says "Use this
        one" (Save); a rejected candidate says why it was rejected."""
        if self.review is None:
            return
        self._edit_timer.stop()
        self.review.select(index)
        record = self.review.current()
        self.results.set_editors(record.instruction if record else "", record.input if record else "")
        self._review_changed()
        cands = self.last_run.report["candidates"] if self.last_run is not None else []
        rejected = cands[index].get("rejected") if index < len(cands) else None
        if rejected:
            self.show_status(Words(lambda: tr("picked_rejected", k=index + 1, reason=strings.reason(rejected))))
        elif self.saved is not None and self.save_pending():
            self.show_status(words("picked_pending", k=index + 1))

    @Slot()
    def apply_edit(self) -> None:
        if self.review is not None:
            self.review.set_edit(*self.results.editors())
            self._review_changed()

    def flush_edit(self) -> None:
        if self._edit_timer.isActive():
            self._edit_timer.stop()
            self.apply_edit()

    def _review_changed(self) -> None:
        assert self.review is not None
        self.results.set_json(self.review.json_text())
        self.sync_saved()

    def save_pending(self) -> bool:
        """The pair on screen differs from the one this run saved (Save would replace it)."""
        if self.saved is None or self.review is None:
            return False
        current = self.review.current()
        fmt = self.saved.dataset.fmt
        return current is not None and current.to_format(fmt) != self.saved.record.to_format(fmt)

    def sync_saved(self) -> None:
        """The save row and the candidate list say what is saved: the Save button reads Save, Saved or
        "Use this one"; the saved candidate is marked in the list."""
        saved_id = self.saved.record.id if self.saved is not None else None
        index = (
            next((i for i, r in enumerate(self.review.records) if r is not None and r.id == saved_id), None)
            if self.review
            else None
        )
        self.results.set_saved(self.saved is not None, pending=self.save_pending(), saved_index=index)

    # -- language, status, closing ---------------------------------------------------------------

    def set_language(self, code: str) -> None:
        strings.set_language(code)
        self.settings.language = code
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(tr("title"))
        self.models_menu.setTitle(tr("models_menu"))
        self.pick_menu.setTitle(tr("pick_model_menu"))
        self.trained_menu.setTitle(tr("trained_menu"))
        self.open_action.setText(tr("open_gguf_menu"))
        self.download_action.setText(tr("download_menu"))
        self.convert_action.setText(tr("convert_menu"))
        self.language_menu.setTitle(tr("language"))
        self.language_actions[strings.language()].setChecked(True)
        self.help_menu.setTitle(tr("help_menu"))
        self.shortcuts_action.setText(tr("shortcuts_menu"))
        self.self_test_action.setText(tr("self_test_menu"))
        for panel in (self.model_bar, self.form, self.results, self.batch, self.review_panel):
            panel.retranslate()
        self.tabs.setTabText(0, tr("tab_generate"))
        self.tabs.setTabText(1, tr("tab_batch"))
        self.tabs.setTabText(2, tr("tab_review"))
        self.status.retranslate()
        selected = self.review.selected if self.review else None
        if self.outcome is not None and self.outcome.ranking is not None:
            self.results.show_ranking(self.outcome, selected)
        else:
            self.show_last_run(selected)
        self.sync_saved()

    def show_last_run(self, selected: int | None) -> None:
        """The candidate list of a run known only by its report and records (the previous session's)."""
        if self.last_run is None or self.review is None:
            return
        run, records = self.last_run, self.review.records
        bodies = {i: fold_input(r.instruction, r.input) for i, r in enumerate(records) if r is not None}
        notes = {i: f"{c.get('template', '')} · {c.get('tokens', '')} tokens" for i, c in enumerate(run.report["candidates"])}
        self.results.show_report(run.report, run.order, bodies, notes, selected, run.helps_below)

    def _quit_anyway(self) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, tr("quit_title"), tr("quit_text"), parent=self)
        box.setObjectName("quitQuestion")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def show_status(self, message: Words | str) -> None:
        self.status.say(message)

    def show_error(self, message: Words | str) -> None:
        log.info("shown to the user: %s", message)
        self.status.say(message, error=True)

    ask_before_quit = True
    """Closing while a run or a batch is under way asks first (off when the application itself quits)."""
    keep_state = True
    """Closing keeps the settings and the session; off for a window that is only a check (the self-test's,
    a screenshot's), which must not change what the user's next start looks like."""

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        busy = self.run_job is not None or self.batch.job is not None
        if busy and self.ask_before_quit and not self._quit_anyway():
            event.ignore()
            return
        self.flush_edit()
        if self.keep_state:
            session.remember(self)
        if self.run_job is not None:
            self.run_job.cancel.set()
        self.batch.shutdown()
        self.review_panel.shutdown()
        self.models.cancel()
        if self.keep_state:
            window_state.remember(self)
        self.engine.stop()
        super().closeEvent(event)
