"""The Review tab (offscreen, real records from a real SmolLM2 batch run): keyboard review, undo, filters,
export to every format, and a 100k-record file that opens and sorts without blocking the window."""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTableView, QTextBrowser, QWidget

from test_gui import Heartbeat, make_window, qtbot_left

WAIT_MS = 30_000


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def open_review(qtbot, path: Path):
    window = make_window(qtbot, load=False)
    window.open_review(str(path))
    panel = window.review_panel
    qtbot.waitUntil(lambda: panel.source_filter.count() > 1 or len(panel.file or []) == 0, timeout=WAIT_MS)
    return window, panel


def export_with_dialog(qtbot, panel, fmt: str, target: Path, *, ticked: set[str] | None = None, heartbeat=None) -> str:
    """Export through the Export dialog as a person would; returns what its status line says at the end."""
    dialog = panel.open_export()
    formats = dialog.findChild(QComboBox, "exportFormat")
    formats.setCurrentIndex(formats.findData(fmt))
    if ticked is not None:  # the dialog starts with what the status filter shows
        assert {s for s, box in dialog.checks.items() if box.isChecked()} == ticked
    dialog.findChild(QLineEdit, "exportTarget").setText(str(target))
    with qtbot.waitSignal(dialog.finished_job, timeout=120_000):
        qtbot.mouseClick(dialog.findChild(QPushButton, "exportRun"), qtbot_left())
    said = dialog.findChild(QLabel, "exportStatus").text()
    dialog.close()
    return said


def test_review_by_keyboard_undo_filter_and_export_everything(qtbot, batch_ledger: Path, tmp_path: Path) -> None:
    ledger = Path(shutil.copy(batch_ledger, tmp_path / "run.jsonl"))
    original = lines(ledger)
    window, panel = open_review(qtbot, ledger)
    for name in ("reviewTab", "reviewTable", "reviewExport"):
        assert window.findChild(QWidget, name) is not None, name
    table = window.findChild(QTableView, "reviewTable")
    counter = window.findChild(QLabel, "reviewCounter")
    assert table.model().rowCount() == 8 and counter.text() == "1 / 8"
    table.setFocus()
    with_pair = [i for i, r in enumerate(original) if r["pair"]]
    first, second, third = with_pair[:3]

    panel.select_line(first)
    # why it won: the chosen candidate's heat map over the whole text
    heat = window.findChild(QTextBrowser, "reviewHeatMap").toPlainText()
    assert f"candidate {original[first]['chosen'] + 1}'s instruction" in heat, heat
    flat = heat.replace("\xa0", "").replace(" ", "").replace("\u2029", "").replace("\n", "")
    assert original[first]["pair"]["output"].replace(" ", "") in flat
    qtbot.keyClick(table, Qt.Key.Key_A)  # accept: and on to the next row
    assert lines(ledger)[first]["status"] == "accepted"
    assert panel.current_row() == first + 1 and counter.text() == f"{first + 2} / 8"
    panel.select_line(second)
    qtbot.keyClick(table, Qt.Key.Key_R)
    assert lines(ledger)[second]["status"] == "rejected_by_user"
    # edit: E focuses the instruction; the edit is saved with its button
    panel.select_line(third)
    qtbot.keyClick(table, Qt.Key.Key_E)
    editor = window.findChild(QPlainTextEdit, "reviewInstruction")
    assert editor.hasFocus()
    editor.setPlainText("Say where the boat goes.")
    qtbot.mouseClick(window.findChild(QPushButton, "reviewSaveEdit"), qtbot_left())
    assert lines(ledger)[third]["status"] == "edited" and lines(ledger)[third]["pair"]["instruction"] == "Say where the boat goes."
    # undo the edit (U), and only the edit
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_U)
    assert lines(ledger)[third] == original[third]
    assert lines(ledger)[first]["status"] == "accepted" and lines(ledger)[second]["status"] == "rejected_by_user"
    # navigate: J next, K previous
    panel.select_row(0)
    qtbot.keyClick(table, Qt.Key.Key_J)
    qtbot.keyClick(table, Qt.Key.Key_J)
    qtbot.keyClick(table, Qt.Key.Key_K)
    assert panel.current_row() == 1 and counter.text() == "2 / 8"

    # filter by source file, then by status
    sources = window.findChild(QComboBox, "reviewSourceFilter")
    names = [sources.itemText(i) for i in range(sources.count())]
    assert names[1:] == sorted(names[1:]) and set(names[1:]) == {"part1.txt", "part2.jsonl"}
    sources.setCurrentIndex(names.index("part1.txt"))
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)
    shown = [panel.model.entry(r) for r in range(panel.model.rowCount())]
    assert shown and all(e.source.split(":")[0].endswith("part1.txt") for e in shown)
    assert len(shown) == sum(r["source"]["file"].endswith("part1.txt") for r in original)
    sources.setCurrentIndex(0)
    statuses = window.findChild(QComboBox, "reviewStatusFilter")
    statuses.setCurrentIndex(statuses.findData("accepted"))
    qtbot.waitUntil(lambda: not panel.busy and panel.model.rowCount() == 1, timeout=WAIT_MS)
    assert panel.model.entry(0).line == first

    # export the accepted rows to every format (the Export dialog, on its worker thread), each read back
    # with its own reader
    for fmt, name in (("demo", "d.json"), ("alpaca", "a.json"), ("sharegpt", "s.json"), ("jsonl", "j.jsonl"),
                      ("csv", "c.csv"), ("llamafactory", "lf"), ("dpo", "p.jsonl")):
        said = export_with_dialog(qtbot, panel, fmt, tmp_path / name, ticked={"accepted"})
        assert said.startswith("Exported "), said
        if fmt in ("demo", "alpaca", "sharegpt"):
            assert len(json.loads((tmp_path / name).read_text(encoding="utf-8"))) == 1
        elif fmt == "csv":
            with (tmp_path / name).open(encoding="utf-8", newline="") as fh:
                assert [r["status"] for r in csv.DictReader(fh)] == ["accepted"]
        elif fmt == "llamafactory":
            info = json.loads((tmp_path / name / "dataset_info.json").read_text(encoding="utf-8"))
            assert info["run"]["file_name"] == "run.json" and len(json.loads((tmp_path / name / "run.json").read_text())) == 1
        elif fmt == "jsonl":
            assert [r["status"] for r in lines(tmp_path / name)] == ["accepted"]
        else:
            assert all(set(t) == {"prompt", "chosen", "rejected"} for t in lines(tmp_path / name))
    assert "Exported" in window.status.text()

    # the position is remembered: the file opens again where the review was
    statuses.setCurrentIndex(0)
    qtbot.waitUntil(lambda: not panel.busy and panel.model.rowCount() == 8, timeout=WAIT_MS)
    panel.select_line(5)
    window.close()
    again, panel2 = open_review(qtbot, ledger)
    assert panel2.current_line() == 5


def test_a_file_changed_on_disk_is_detected_and_nothing_is_overwritten(qtbot, batch_ledger: Path, tmp_path: Path) -> None:
    ledger = Path(shutil.copy(batch_ledger, tmp_path / "run.jsonl"))
    window, panel = open_review(qtbot, ledger)
    with ledger.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"instruction": "Another process wrote this.", "output": "x"}) + "\n")
    changed = ledger.read_bytes()
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_A)
    assert "changed by something else" in window.status.text()
    assert ledger.read_bytes() == changed
    qtbot.mouseClick(panel.reload_button, qtbot_left())
    qtbot.waitUntil(lambda: panel.model.rowCount() == 9, timeout=WAIT_MS)


def test_100k_records_open_and_sort_without_blocking_the_window(qtbot, tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    with big.open("w", encoding="utf-8") as fh:
        for i in range(100_000):
            fh.write(json.dumps({"instruction": f"Say {i}.", "output": "x" * 300, "status": "new", "nll": (i * 7919) % 1000 / 100}) + "\n")
    window = make_window(qtbot, load=False)
    panel = window.review_panel
    with Heartbeat() as beat:
        window.open_review(str(big))
        assert panel.model.rowCount() == 100_000
        panel.model.sort(3, Qt.SortOrder.AscendingOrder)  # NLL
        qtbot.waitUntil(lambda: not panel.busy, timeout=60_000)
    print(f"longest GUI heartbeat gap while opening and sorting 100k records: {beat.longest_ms} ms")
    assert beat.longest_ms < 1000
    nlls = [panel.model.entry(r).nll for r in range(0, 100_000, 997)]
    assert nlls == sorted(nlls) and panel.model.entry(0).nll == 0.0
    search = window.findChild(QLineEdit, "reviewSearch")
    search.setText("Say 77777.")
    qtbot.waitUntil(lambda: not panel.busy and panel.model.rowCount() == 1, timeout=60_000)
    # a change to a record near the top is written in place: the keypress does not move 30 MB
    search.setText("")
    qtbot.waitUntil(lambda: not panel.busy and panel.model.rowCount() == 100_000, timeout=60_000)
    panel.select_row(0)
    size = big.stat().st_size
    panel.table.setFocus()
    t0 = time.perf_counter()
    qtbot.keyClick(panel.table, Qt.Key.Key_A)  # handled on the GUI thread, start to end
    took_ms = 1000 * (time.perf_counter() - t0)
    assert "accepted" in window.status.text() and big.stat().st_size == size
    print(f"accepting the first of 100k records took {took_ms:.1f} ms on the GUI thread")
    assert took_ms < 1000
    # the whole file exported from the window: on the dialog's thread, the window keeps ticking
    with Heartbeat() as beat:
        said = export_with_dialog(qtbot, panel, "alpaca", tmp_path / "all.json")
    print(f"longest GUI heartbeat gap while exporting 100k records: {beat.longest_ms} ms")
    assert beat.longest_ms < 1000
    assert said.startswith("Exported 100000 pairs as alpaca"), said
    assert len(json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))) == 100_000


def test_the_export_dialog_suggests_a_target_and_says_what_it_would_replace(qtbot, batch_ledger: Path, tmp_path: Path) -> None:
    ledger = Path(shutil.copy(batch_ledger, tmp_path / "run.jsonl"))
    window, panel = open_review(qtbot, ledger)
    dialog = panel.open_export()
    target = dialog.findChild(QLineEdit, "exportTarget")
    assert target.text() == str(tmp_path / "run-alpaca.json")  # beside the dataset, named for the format
    formats = dialog.findChild(QComboBox, "exportFormat")
    formats.setCurrentIndex(formats.findData("csv"))
    assert target.text() == str(tmp_path / "run.csv")  # the suggestion follows the format
    (tmp_path / "old.csv").write_text("keep me\n", encoding="utf-8")
    target.setText(str(tmp_path / "old.csv"))
    run = dialog.findChild(QPushButton, "exportRun")
    assert run.text() == "Replace" and "will be replaced" in dialog.findChild(QLabel, "exportStatus").text()
    for box in dialog.checks.values():
        box.setChecked(False)
    qtbot.mouseClick(run, qtbot_left())
    assert "Tick at least one" in dialog.findChild(QLabel, "exportStatus").text()
    assert (tmp_path / "old.csv").read_text(encoding="utf-8") == "keep me\n"
    dialog.close()


def test_heat_map_colours_every_token_by_its_gain_with_a_legend() -> None:
    from opening.gui import strings
    from opening.gui.heat_map import FULL_SCALE, colour, heat_map_html

    strings.set_language("en")
    tokens = ["老", "马", " the", " river", "\n", "x"]
    gains = [-400, -50, 0, 120, None, 300]
    page = heat_map_html(tokens, gains)
    assert page.count("<span") == len(tokens) + 5  # one per token, five in the legend
    assert colour(-FULL_SCALE) == "#2166ac" and colour(FULL_SCALE) == "#b35806" and colour(0) == "#ffffff"
    assert colour(-400) == colour(-FULL_SCALE)  # saturated
    r, g, b = (int(colour(-50)[k : k + 2], 16) for k in (1, 3, 5))
    assert b > r and 200 < b  # a light blue: helped a little
    assert "+1.20 nats" in page and "not scored" in page and "Blue:" in page
    strings.set_language("zh")
    assert "蓝色" in heat_map_html(tokens, gains)
    strings.set_language("en")
