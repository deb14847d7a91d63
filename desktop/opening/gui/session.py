"""The window's last session, kept across a restart: the draft text, the last run's candidates with
their captions, the pick and the edit, and where its pair was saved (so "Use this one" and "Remove from
dataset" still work on it). Written at close to ``session.json`` in the user folder (atomically), read at
start; a missing or unreadable file is a fresh start, never an error."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opening.base.atomic import atomic_write_text
from opening.base.errors import OpeningError
from opening.base.paths import user_dir
from opening.data.dataset_file import DatasetFile, Placed
from opening.data.records import PairRecord
from opening.data.review import Review, SavedPair

if TYPE_CHECKING:
    from opening.gui.main_window import MainWindow

log = logging.getLogger(__name__)
SESSION_FILE = "session.json"


def session_path() -> Path:
    return user_dir() / SESSION_FILE


def remember(window: MainWindow) -> None:
    """Write what the window shows now (best effort: a failure is logged)."""
    data: dict[str, Any] = {"text": window.form.output_text.toPlainText()}
    run = window.last_run
    if run is not None and window.review is not None:
        data["run"] = {
            "report": run.report,
            "order": run.order,
            "helps_below": run.helps_below,
            "records": [dataclasses.asdict(r) if r is not None else None for r in window.review.records],
            "selected": window.review.selected,
            "edit": list(window.review.edit) if window.review.edit else None,
        }
        if window.saved is not None:
            placed = window.saved.placed
            data["run"]["saved"] = {
                "path": str(window.saved.dataset.path),
                "fmt": window.saved.dataset.fmt,
                "offset": placed.offset,
                "lead": base64.b64encode(placed.lead).decode("ascii"),
                "item": base64.b64encode(placed.item).decode("ascii"),
                "record": dataclasses.asdict(window.saved.record),
            }
    try:
        session_path().parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(session_path(), json.dumps(data, ensure_ascii=False))
    except (OSError, TypeError, ValueError) as exc:
        log.warning("could not keep the session: %s", exc)


def restore(window: MainWindow) -> bool:
    """Put the last session back; True when a run's results were restored."""
    try:
        data = json.loads(session_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as exc:
        log.warning("ignoring an unreadable session file: %s", exc)
        return False
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("text"), str):
        window.form.output_text.setPlainText(data["text"])
    run = data.get("run")
    if not isinstance(run, dict):
        return False
    try:
        _restore_run(window, run)
    except (KeyError, TypeError, ValueError, IndexError, OpeningError) as exc:
        log.warning("ignoring the last run of the previous session: %s", exc)
        window.results.clear()
        window.review, window.saved, window.last_run = None, None, None
        return False
    return True


def _restore_run(window: MainWindow, run: dict[str, Any]) -> None:
    from opening.gui.main_window import LastRun

    records = [PairRecord(**r) if r is not None else None for r in run["records"]]
    report, order = run["report"], [int(i) for i in run["order"]]
    window.last_run = LastRun(report, order, float(run["helps_below"]))
    review = Review(records)  # type: ignore[arg-type]
    window.review = review
    saved = run.get("saved")
    if isinstance(saved, dict):
        placed = Placed(int(saved["offset"]), base64.b64decode(saved["lead"]), base64.b64decode(saved["item"]))
        window.saved = SavedPair(DatasetFile(Path(saved["path"]), str(saved["fmt"])), placed, PairRecord(**saved["record"]))
    window.show_last_run(None)
    selected = run.get("selected")
    if isinstance(selected, int):
        window.results.select_index(selected)  # as a click: the pick, its editors, the JSON
        if run.get("edit"):
            instruction, extra = run["edit"]
            window.results.set_editors(instruction, extra)
            window.apply_edit()
    window.results.set_json(review.json_text())
    window.sync_saved()
