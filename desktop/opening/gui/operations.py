"""One small function per user action on a run's pair: the core call and the message it shows.

Each takes the window, calls the core (``opening.data.review``), and says what happened in the status
line; a failure (:class:`~opening.base.errors.OpeningError`) is shown as an error by the one wrapper
below, never repeated per action.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QFileDialog

from opening.base import paths
from opening.base.errors import OpeningError
from opening.data.dataset_file import DatasetFile, SaveError
from opening.data.review import SavedPair
from opening.gui.engine_worker import RunJob
from opening.gui.strings import error_words, tr, window_message, words
from opening.pipeline.request import Request, check_text

if TYPE_CHECKING:
    from opening.gui.main_window import MainWindow

Action = TypeVar("Action", bound=Callable[..., None])


def operation(action: Action) -> Action:
    """Run ``action``; an OpeningError becomes the window's error line."""

    @functools.wraps(action)
    def run(window: MainWindow, *args: object) -> None:
        try:
            action(window, *args)
        except OpeningError as exc:
            window.show_error(error_words(exc))

    return run  # type: ignore[return-value]


def default_dataset() -> Path:
    return paths.datasets_dir() / "pairs.json"


def open_dataset(window: MainWindow) -> DatasetFile:
    """The dataset file the window saves to (its folder made when it is the default one)."""
    text = window.results.dataset_path.text().strip()
    path = Path(text).expanduser() if text else default_dataset()
    if path == default_dataset():
        path.parent.mkdir(parents=True, exist_ok=True)
    return DatasetFile.open(path, window.results.dataset_format.currentData())


@operation
def submit(window: MainWindow) -> None:
    """Check the text, the parameters and the save target (before any work), then start a run."""
    if window.run_job is not None or window.batch.job is not None:
        raise OpeningError(window_message("busy"))
    text = check_text(window.form.output_text.toPlainText().strip())
    params = window.form_params()
    params.validate()
    if window.results.auto_save.isChecked():
        open_dataset(window)  # a bad save target is reported now, not after the work
    if window.models.path is None:
        raise OpeningError(window_message("no_model"))
    window.settings.params = window.form.params()
    window.flush_edit()
    window.outcome, window.review, window.saved, window.last_run = None, None, None, None
    window.sync_saved()
    window.results.start(params.n)
    window.progress.start(params.n, params.max_tokens)
    window.run_job = RunJob(Request(text=text, params=params, choice=window.settings.choice_params()))
    window.form.set_busy(True)
    window.show_status(words("status_generating", n=params.n))
    window.engine.run(window.run_job)


@operation
def rank_done(window: MainWindow) -> None:
    """After a Cancel: rank the candidates that had finished (the ones cut off stay, rejected)."""
    partial = window.cancelled
    if partial is None:
        return
    if window.run_job is not None or window.batch.job is not None:
        raise OpeningError(window_message("busy"))
    if window.models.path is None:
        raise OpeningError(window_message("no_model"))
    window.run_job = RunJob(partial.request, partial=partial)
    window.cancelled = None
    window.results.rank_button.setVisible(False)
    window.form.set_busy(True)
    window.show_status(words("status_ranking", pct=0.0))
    window.engine.run(window.run_job)


def cancel_run(window: MainWindow) -> None:
    if window.run_job is not None:
        window.run_job.cancel.set()
        window.form.cancel_button.setEnabled(False)
        window.show_status(words("status_cancelling"))


def clear(window: MainWindow) -> None:
    window.flush_edit()
    window.form.output_text.clear()
    window.results.clear()
    window.outcome, window.review, window.saved, window.last_run = None, None, None, None
    window.sync_saved()
    window.show_status(words("status_ready"))


@operation
def save_pair(window: MainWindow) -> None:
    """Save the reviewed pair (or, once saved, bring the saved copy up to date)."""
    window.flush_edit()
    if window.saved is not None:
        update_saved(window)
        return
    record = window.review.current() if window.review else None
    if record is None:
        raise SaveError(window_message("nothing_to_save"))
    window.saved = SavedPair.save(open_dataset(window), record)
    window.sync_saved()
    window.show_status(words("status_saved", path=window.saved.dataset.path))


@operation
def update_saved(window: MainWindow) -> None:
    """ "Use this one": replace the saved copy with the pick or the edit as it stands now (only ever on
    the user's word: picking or editing alone never touches the file)."""
    record = window.review.current() if window.review else None
    if window.saved is None or record is None:
        return
    if window.saved.update(record):
        window.show_status(words("status_updated", path=window.saved.dataset.path))
    window.sync_saved()


@operation
def undo_save(window: MainWindow) -> None:
    """Remove the pair this run saved."""
    if window.saved is None:
        return
    window.saved.undo()
    path, window.saved = window.saved.dataset.path, None
    window.sync_saved()
    window.show_status(words("status_undone", path=path))


@operation
def copy_json(window: MainWindow) -> None:
    text = window.results.json_view.toPlainText()
    if not text.strip():
        window.show_status(words("nothing_to_copy"))
        return
    QGuiApplication.clipboard().setText(text)
    window.show_status(words("status_copied"))


def choose_model(window: MainWindow) -> None:
    """Open GGUF…: pick a file, check it, load it, and make it the default."""
    start = str(window.models.path.parent) if window.models.path else str(paths.models_dir())
    name, _ = QFileDialog.getOpenFileName(window, tr("pick_model"), start, tr("gguf_filter"))
    if name:
        window.open_model(name)


def choose_scorer(window: MainWindow) -> None:
    """Scorer → Choose…: a smaller GGUF of the model's family scores the candidates (remembered; reloads)."""
    start = str(window.models.path.parent) if window.models.path else str(paths.models_dir())
    name, _ = QFileDialog.getOpenFileName(window, tr("pick_scorer"), start, tr("gguf_filter"))
    if name:
        window.models.set_scorer(name)


def choose_dataset(window: MainWindow) -> None:
    """Browse…: the dataset file to save into (pairs are appended; nothing is ever overwritten)."""
    name, _ = QFileDialog.getSaveFileName(
        window,
        tr("pick_dataset"),
        window.results.dataset_path.text(),
        tr("dataset_filter"),
        options=QFileDialog.Option.DontConfirmOverwrite,
    )
    if name:
        window.results.dataset_path.setText(name)


DialogT = TypeVar("DialogT", bound=QDialog)


def show_dialog(window: MainWindow, dialog: DialogT, signal: str) -> DialogT:
    """Show a download or convert dialog; the model it produces is opened when it is ready, and becomes
    the default model only when the dialog says so (the download dialog's check box; a converted model
    the user made on purpose does)."""
    choice = getattr(dialog, "make_default", None)
    getattr(dialog, signal).connect(lambda path: window.open_model(path, remember=choice.isChecked() if choice else True))
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
