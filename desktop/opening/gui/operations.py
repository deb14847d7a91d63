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

from PySide6.QtGui import QGuiApplication

from opening.base import paths
from opening.base.errors import OpeningError
from opening.data.dataset_file import DatasetFile, SaveError
from opening.data.review import SavedPair
from opening.gui.strings import tr

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
            window.show_error(str(exc))

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
def save_pair(window: MainWindow) -> None:
    """Save the reviewed pair (or, once saved, bring the saved copy up to date)."""
    window.flush_edit()
    if window.saved is not None:
        update_saved(window)
        return
    record = window.review.current() if window.review else None
    if record is None:
        raise SaveError(tr("nothing_to_save"))
    window.saved = SavedPair.save(open_dataset(window), record)
    window.results.set_saved(True)
    window.show_status(tr("status_saved", path=window.saved.dataset.path))


@operation
def update_saved(window: MainWindow) -> None:
    """The pick or the edit changed: replace the saved copy in place."""
    record = window.review.current() if window.review else None
    if window.saved is None or record is None:
        return
    if window.saved.update(record):
        window.show_status(tr("status_updated", path=window.saved.dataset.path))


@operation
def undo_save(window: MainWindow) -> None:
    """Remove the pair this run saved."""
    if window.saved is None:
        return
    window.saved.undo()
    path, window.saved = window.saved.dataset.path, None
    window.results.set_saved(False)
    window.show_status(tr("status_undone", path=path))


@operation
def copy_json(window: MainWindow) -> None:
    QGuiApplication.clipboard().setText(window.results.json_view.toPlainText())
    window.show_status(tr("status_copied"))
