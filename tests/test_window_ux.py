"""The window by keyboard alone (issue 19), offscreen on the real demo model: focus starts in the text
box, Tab leaves every text box without typing a tab, Ctrl+Enter submits, Ctrl+2 picks, Ctrl+Shift+C
copies; and a status line that never moves the controls around it."""

from __future__ import annotations

import html
import json
import re

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QPlainTextEdit

from opening.gui import shortcuts, strings
from test_gui import RUN_TIMEOUT_MS, make_window, set_params

CTRL = Qt.KeyboardModifier.ControlModifier


def active(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)  # shortcuts fire in the active window only


def test_a_whole_run_by_keyboard_only(qtbot) -> None:
    window = make_window(qtbot)
    active(qtbot, window)
    editor = window.findChild(QPlainTextEdit, "outputText")
    assert window.focusWidget() is editor  # typing starts in the text box
    set_params(window, n=3, max_tokens=24)
    editor.setFocus()
    qtbot.keyClicks(editor, "happy")
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL)
    assert editor.toPlainText() == "happy"  # Ctrl+Enter submitted; it typed no newline
    progress = window.progress.text()  # the run's tokens and speed stay in the progress bar
    assert re.fullmatch(r"\d+ tokens · \d+\.\d tokens/s in all", progress) and window.progress.tokens > 0, progress
    assert window.outcome is not None and window.results.candidate_list.count() == 3
    second = window.results.candidate_list.item(1).data(Qt.ItemDataRole.UserRole)
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_2, CTRL)
    assert window.review is not None and window.review.selected == second
    QGuiApplication.clipboard().setText("before")
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_C, CTRL | Qt.KeyboardModifier.ShiftModifier)
    copied = QGuiApplication.clipboard().text()
    pair = json.loads(copied)[0]
    assert pair["output"] == "happy" and pair == json.loads(window.results.json_view.toPlainText())[0]
    assert pair["instruction"] == window.review.current().instruction  # the picked candidate's pair
    assert "Copied" in window.status.text()


def test_tab_never_types_a_tab_and_leaves_every_text_box(qtbot) -> None:
    window = make_window(qtbot, load=False)
    active(qtbot, window)
    for name in ("outputText", "instructionEdit", "reviewInstruction"):
        editor = window.findChild(QPlainTextEdit, name)
        if name == "reviewInstruction":
            window.tabs.setCurrentWidget(window.review_panel)
        editor.setFocus()
        qtbot.waitUntil(editor.hasFocus, timeout=2000)
        qtbot.keyClicks(editor, "ab")
        qtbot.keyClick(editor, Qt.Key.Key_Tab)
        assert "\t" not in editor.toPlainText(), name
        assert not editor.hasFocus(), f"Tab stayed in {name}"
        window.tabs.setCurrentIndex(0)


def test_the_controls_do_not_move_when_the_status_changes(qtbot) -> None:
    window = make_window(qtbot, load=False, size=(1024, 700))
    submit = window.form.submit_button
    cancel = window.form.cancel_button
    qtbot.wait(20)
    where = []
    messages = [
        (False, "Ready."),
        (False, "Saved to /a/very/long/path/" + "folder/" * 40 + "pairs.json. " + "More words. " * 30),
        (True, "error: " + "the model file could not be loaded because of a very long reason; " * 12),
        (False, "已保存到 " + "很长的文件夹名称/" * 40 + "数据集.json。"),
    ]
    for error, text in messages:
        (window.show_error if error else window.show_status)(text)
        QApplication.processEvents()
        qtbot.wait(20)
        where.append((submit.mapTo(window, QPoint(0, 0)), cancel.mapTo(window, QPoint(0, 0)), window.status.height()))
    window.progress.start(5, 256)  # the progress bar filling in moves nothing either
    window.progress.tokens = 300
    window.progress.scoring(0.5)
    QApplication.processEvents()
    where.append((submit.mapTo(window, QPoint(0, 0)), cancel.mapTo(window, QPoint(0, 0)), window.status.height()))
    assert len(set(where)) == 1, where
    assert window.status.text() == messages[-1][1]  # the whole text is kept (painted elided)
    assert messages[-2][1][:40] in window.status.toolTip()  # and the earlier message in the tooltip
    strings.set_language("zh")  # the Chinese UI lays out its own way; within it, the status moves nothing either
    window.retranslate()
    zh = []
    for say, text in ((window.show_status, "就绪。"), (window.show_error, "错误：" + "没有可保存的数据对；" * 30)):
        say(text)
        QApplication.processEvents()
        qtbot.wait(20)
        zh.append((submit.mapTo(window, QPoint(0, 0)), cancel.mapTo(window, QPoint(0, 0)), window.status.height()))
    assert zh[0] == zh[1], zh
    strings.set_language("en")


def test_help_lists_every_shortcut_and_copy_says_when_there_is_nothing(qtbot) -> None:
    window = make_window(qtbot, load=False)
    assert [a.text() for a in window.menuBar().actions()] == ["&Models", "&Language", "&Help"]  # Alt+M, Alt+L, Alt+H
    window.shortcuts_action.trigger()
    box = window.findChild(QMessageBox, "shortcutsDialog")
    text = html.unescape(box.text())
    for key in shortcuts.WINDOW_KEYS:
        assert strings.tr(f"sc_{key.name}") in text and shortcuts.shown(key.keys[0]) in text, key
    assert "Ctrl+1" in text and "Ctrl+9" in text and "Accept the record" in text
    box.close()
    active(qtbot, window)
    QGuiApplication.clipboard().setText("keep me")
    qtbot.keyClick(window.form.output_text, Qt.Key.Key_C, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text() == "keep me" and "no pair to copy" in window.status.text()


def answer_question(qtbot, name: str, button) -> list[bool]:
    """Click ``button`` in the modal question ``name`` once it is shown (from a timer: exec() blocks)."""
    answered: list[bool] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if box is None or box.objectName() != name:
            QTimer.singleShot(50, click)
            return
        box.button(button).click()
        answered.append(True)

    QTimer.singleShot(50, click)
    return answered


def test_quitting_during_a_run_asks_first(qtbot) -> None:
    window = make_window(qtbot, seed=3)
    set_params(window, n=4, max_tokens=2000, temperature=1.0, top_p=1.0, top_k=0)
    editor = window.findChild(QPlainTextEdit, "outputText")
    qtbot.keyClicks(editor, "happy")
    window.submit()
    assert window.run_job is not None
    answered = answer_question(qtbot, "quitQuestion", QMessageBox.StandardButton.No)
    assert window.close() is False  # "No": the window stays, the run goes on
    assert answered and window.isVisible() and window.run_job is not None
    with qtbot.waitSignal(window.runFinished, timeout=30_000):
        window.form.cancel_button.click()
    assert window.close() is True  # nothing under way: no question


def test_the_draft_and_the_last_run_come_back_after_a_restart(qtbot, scripted_path, monkeypatch) -> None:
    """The scripted model: a pair to auto-save on any CPU (what SmolLM2 samples for "happy" helps on some
    CPUs and not on others)."""
    from test_gui import submit_and_wait

    from opening.gui.main_window import default_dataset
    from PySide6.QtWidgets import QPushButton

    monkeypatch.setenv("OPENING_MODEL", str(scripted_path))
    window = make_window(qtbot)
    window.settings.choice = {"save_anyway": True}  # the scripted instructions need not help: keep the best
    set_params(window, n=3, max_tokens=24)
    submit_and_wait(qtbot, window, "happy")
    assert window.saved is not None, window.status.text()  # auto-saved
    listing = window.results.candidate_list
    shown = [listing.item(r).text() for r in range(listing.count())]
    pairs = json.loads(window.results.json_view.toPlainText())
    window.form.output_text.setPlainText("happy\nand a second line, not run yet")  # the draft moved on
    window.close()

    again = make_window(qtbot, load=False)
    assert again.form.output_text.toPlainText() == "happy\nand a second line, not run yet"
    relisted = again.results.candidate_list
    assert [relisted.item(r).text() for r in range(relisted.count())] == shown  # captions, order, ✓ saved
    assert json.loads(again.results.json_view.toPlainText()) == pairs
    save = again.findChild(QPushButton, "saveButton")
    assert save.text() == "Saved" and "back as you left them" in again.status.text()
    # the restored run is still tied to its saved pair: Remove from dataset removes it
    assert json.loads(default_dataset().read_text(encoding="utf-8")) == pairs
    again.findChild(QPushButton, "undoButton").click()
    assert json.loads(default_dataset().read_text(encoding="utf-8")) == []
    # a damaged session file is a fresh start, not an error
    again.close()
    from opening.gui.session import session_path

    session_path().write_text("{not json", encoding="utf-8")
    third = make_window(qtbot, load=False)
    assert third.results.candidate_list.count() == 0 and third.form.output_text.toPlainText() == ""


def test_the_model_picker_lists_the_demo_as_too_small_and_opens_a_choice(qtbot, smol_path) -> None:
    import shutil

    from opening.base import paths
    from opening.models.registry import register

    window = make_window(qtbot)  # the demo model is loaded
    copy = paths.models_dir() / "someone" / "smol-copy.gguf"
    copy.parent.mkdir(parents=True)
    shutil.copy(smol_path, copy)
    register(copy, "downloaded", "someone/smol-GGUF")
    titles = [a.text() for a in window.models_menu.actions()]
    assert titles[:2] == ["Open a &model", "Open &GGUF file…"]  # Open GGUF… is in the Models menu
    window.fill_model_picker()
    entries = {a.text(): a for a in window.pick_menu.actions()}
    demo = next(t for t in entries if t.startswith(smol_path.name))
    assert demo.endswith("demo: too small for real data") and entries[demo].isChecked()
    mine = "smol-copy.gguf — someone/smol-GGUF — downloaded"
    assert mine in entries and not entries[mine].isChecked()
    with qtbot.waitSignal(window.modelChanged, timeout=60_000) as loaded:
        entries[mine].trigger()
    assert loaded.args == [True] and window.models.path == copy
    window.fill_model_picker()
    assert [a.text() for a in window.pick_menu.actions() if a.isChecked()] == [mine]
