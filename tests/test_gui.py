"""The window, offscreen, on real llama.cpp with the real demo GGUF (pytest-qt)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractSpinBox, QDoubleSpinBox, QLabel, QListWidget, QPlainTextEdit, QPushButton, QSpinBox, QWidget,
)

from conftest import HAPPY, SCRIPTS, XIAOMA
from gguf_factory import write_gguf
from opening.gui import strings
from opening.gui.main_window import MainWindow, default_dataset
from opening.base.settings import Settings

CONTRACT = ("outputText", "temperature", "topP", "topK", "numReturn", "maxTokens", "submitButton",
            "clearButton", "cancelButton", "candidateList", "jsonView", "saveButton", "modelLabel")
LOAD_TIMEOUT_MS = 60_000
RUN_TIMEOUT_MS = 180_000


def make_window(qtbot, *, seed: int | None = 7, load: bool = True, size: tuple[int, int] | None = (1280, 800)
                ) -> MainWindow:
    strings.set_language("en")
    window = MainWindow(Settings.load(), seed=seed)
    qtbot.addWidget(window)
    if size:
        window.resize(*size)
    window.show()
    if load:
        with qtbot.waitSignal(window.modelChanged, timeout=LOAD_TIMEOUT_MS) as blocker:
            window.start()
        assert blocker.args == [True], window.status.text()
    return window


def set_params(window: MainWindow, **values: float) -> None:
    names = {"n": "numReturn", "max_tokens": "maxTokens", "temperature": "temperature", "top_p": "topP",
             "top_k": "topK"}
    for key, value in values.items():
        window.findChild(QAbstractSpinBox, names[key]).setValue(value)


def submit_and_wait(qtbot, window: MainWindow, text: str) -> None:
    editor = window.findChild(QPlainTextEdit, "outputText")
    editor.setPlainText("")
    qtbot.keyClicks(editor, text)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(window.findChild(QPushButton, "submitButton"), qtbot_left())


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


class Heartbeat:
    """A 10 ms QTimer on the GUI thread; the longest gap between its ticks shows any blocking."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._tick)
        self.last = 0
        self.longest_ms = 0

    def __enter__(self) -> "Heartbeat":
        self.clock.start()
        self.timer.start()
        return self

    def _tick(self) -> None:
        now = self.clock.elapsed()
        self.longest_ms = max(self.longest_ms, now - self.last)
        self.last = now

    def __exit__(self, *exc: object) -> None:
        self.timer.stop()


def test_contract_widgets_and_demo_defaults(qtbot) -> None:
    window = make_window(qtbot, load=False)
    for name in CONTRACT:
        assert window.findChild(QWidget, name) is not None, name
    spins = {name: window.findChild(QAbstractSpinBox, name) for name in CONTRACT[1:6]}
    got = {name: (s.value(), s.minimum(), s.maximum()) for name, s in spins.items()}
    assert got == {
        "temperature": (pytest.approx(0.3), 0.0, 1.0), "topP": (pytest.approx(0.9), 0.01, 1.0),
        "topK": (40, 0, 100), "numReturn": (5, 1, 10), "maxTokens": (256, 128, 2000),
    }
    # slider and spin box stay in step
    window.findChild(QDoubleSpinBox, "temperature").setValue(0.75)
    assert window.form.rows["temperature"].slider.value() == 75
    window.form.rows["top_k"].slider.setValue(12)
    assert window.findChild(QSpinBox, "topK").value() == 12


@pytest.fixture
def scripted_window_model(scripted_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The window opens the scripted model (conftest.SCRIPTS on any CPU): for runs that need candidates the
    filter keeps, which SmolLM2 samples on some CPUs and not on others."""
    monkeypatch.setenv("OPENING_MODEL", str(scripted_path))
    return scripted_path


def test_the_demo_model_is_named_in_the_window(qtbot) -> None:
    window = make_window(qtbot, seed=1)
    label = window.findChild(QLabel, "modelLabel").text()
    assert "135M params" in label and "Q4_1" in label and "llama" in label, label


def test_happy_run_ranks_saves_updates_and_undoes(qtbot, scripted_window_model: Path) -> None:
    window = make_window(qtbot, seed=1)
    window.settings.choice = {"save_anyway": True}  # the scripted instructions do not help (IFD 1): keep the best
    label = window.findChild(QLabel, "modelLabel").text()
    assert "scripted test model" in label and "F32" in label, label
    set_params(window, n=3, max_tokens=128)
    statuses: list[str] = []
    show_status = window.show_status
    window.show_status = lambda text: (statuses.append(str(text)), show_status(text))
    with Heartbeat() as beat:
        submit_and_wait(qtbot, window, HAPPY)
    print(f"longest GUI heartbeat gap during the run: {beat.longest_ms} ms")
    assert beat.longest_ms < 1000
    # the status line followed the stages: generating, then scoring from 0% up to 100%, then done
    assert "Generating 3 candidates" in statuses[0], statuses
    scoring = [float(m.group(1)) for t in statuses if (m := re.fullmatch(r"Scoring candidates… (\d+)%", t))]
    assert scoring[0] == 0 and scoring[-1] == 100 and scoring == sorted(scoring), statuses

    listing = window.findChild(QListWidget, "candidateList")
    assert listing.count() == 3
    captions = [listing.item(r).text().splitlines()[0] for r in range(3)]
    assert sorted(int(c.split()[2]) for c in captions) == [1, 2, 3]
    assert window.outcome is not None and window.outcome.chosen is not None, window.status.text()
    assert {c.instruction for c in window.outcome.candidates} <= set(SCRIPTS)
    assert any("NLL" in c and "IFD" in c for c in captions)
    assert "chosen" in captions[0]  # best first, marked

    pairs = json.loads(window.findChild(QPlainTextEdit, "jsonView").toPlainText())
    chosen = window.outcome.records[window.outcome.chosen]
    assert pairs == [{"instruction": chosen.folded_instruction, "output": HAPPY}]

    # saved automatically, to the default dataset in the user folder
    target = default_dataset()
    assert json.loads(target.read_text(encoding="utf-8")) == pairs
    assert window.status.text() == f"Saved the pair to {target}."

    save = window.findChild(QPushButton, "saveButton")
    assert save.text() == "Saved" and "✓ saved" in listing.item(0).text().splitlines()[0]  # the saved one, marked
    # editing the instruction changes nothing on disk until "Use this one" — then that record, no second copy
    window.results.instruction_edit.setPlainText("Write one word that names a feeling.")
    window.apply_edit()
    assert json.loads(target.read_text(encoding="utf-8")) == pairs and save.text() == "Use this one"
    qtbot.mouseClick(save, qtbot_left())
    saved = json.loads(target.read_text(encoding="utf-8"))
    assert saved == [{"instruction": "Write one word that names a feeling.", "output": HAPPY}]
    assert json.loads(window.results.json_view.toPlainText()) == saved and save.text() == "Saved"

    # Undo removes it; Save puts it back once
    qtbot.mouseClick(window.findChild(QPushButton, "undoButton"), qtbot_left())
    assert json.loads(target.read_text(encoding="utf-8")) == []
    qtbot.mouseClick(window.findChild(QPushButton, "saveButton"), qtbot_left())
    assert json.loads(target.read_text(encoding="utf-8")) == saved


def test_nothing_helps_is_shown_not_saved_and_can_be_kept_by_hand(qtbot, scripted_window_model: Path) -> None:
    window = make_window(qtbot, seed=1)
    window.settings.choice = {"helps_below": 0.0001}  # no instruction makes a text 10,000x more predictable
    assert window.results.auto_save.isChecked()
    set_params(window, n=3, max_tokens=48)
    submit_and_wait(qtbot, window, HAPPY)
    outcome = window.outcome
    assert outcome is not None and outcome.status == "no_helpful_instruction", window.status.text()
    assert outcome.chosen is None and outcome.ranking.best is not None
    target = default_dataset()
    assert not target.exists()  # auto-save is on, yet nothing was saved
    status = window.status.text()
    assert status.startswith("No candidate helps") and "nothing saved" in status and "\n" not in status
    listing = window.findChild(QListWidget, "candidateList")
    assert listing.count() == 3 and "does not help (IFD ≥ 0.0001)" in listing.item(0).text()
    best = outcome.records[outcome.ranking.best]
    assert window.results.instruction_edit.toPlainText() == best.instruction  # the best is picked, for review
    qtbot.mouseClick(window.findChild(QPushButton, "saveButton"), qtbot_left())  # kept by hand
    assert json.loads(target.read_text(encoding="utf-8")) == [{"instruction": best.folded_instruction, "output": HAPPY}]


def test_picking_another_candidate_changes_the_saved_pair_only_when_the_user_says_so(
    qtbot, tmp_path: Path, scripted_window_model: Path
) -> None:
    window = make_window(qtbot, seed=1)
    window.settings.choice = {"helps_below": 100.0}
    target = tmp_path / "pairs.jsonl"
    window.results.dataset_path.setText(str(target))
    set_params(window, n=3, max_tokens=128, temperature=1.0)
    submit_and_wait(qtbot, window, HAPPY)
    outcome = window.outcome
    assert outcome is not None and outcome.chosen is not None, window.status.text()
    others = [i for i, r in enumerate(outcome.records) if r is not None and i != outcome.chosen]
    if not others:
        pytest.fail(f"the seeded run left only one usable candidate: {window.status.text()}")
    before = target.read_bytes()
    window.results.select_index(others[0])
    assert target.read_bytes() == before  # picking alone never touches the file
    save = window.findChild(QPushButton, "saveButton")
    assert save.text() == "Use this one"
    picked = outcome.candidates[others[0]]
    if picked.rejected:
        assert f"Candidate {others[0] + 1} was rejected" in window.status.text()
    else:
        assert "unchanged until you press" in window.status.text()
    qtbot.mouseClick(save, qtbot_left())
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["instruction"] == outcome.records[others[0]].instruction
    assert record["id"] == outcome.records[others[0]].id
    listing = window.findChild(QListWidget, "candidateList")
    marked = [listing.item(r).data(Qt.ItemDataRole.UserRole) for r in range(listing.count()) if "✓ saved" in listing.item(r).text()]
    assert marked == [others[0]] and save.text() == "Saved"


ECHOED = "Sunny mornings make me glad."


def test_picking_a_rejected_candidate_says_why_and_saves_nothing_until_confirmed(
    qtbot, tmp_path: Path, smol_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scripted model that writes either an instruction or the text itself back (an echo, rejected), on
    any CPU (SmolLM2 copies the 小马过河 story on some CPUs at this seed, not on others)."""
    from scripted_model import write_scripted_model

    model = write_scripted_model(tmp_path / "echo.gguf", smol_path, ["Write about your feelings", ECHOED])
    monkeypatch.setenv("OPENING_MODEL", str(model))
    window = make_window(qtbot, seed=2)
    target = tmp_path / "pairs.json"
    window.results.dataset_path.setText(str(target))
    set_params(window, n=5, max_tokens=128, temperature=0.3)
    window.form.output_text.setPlainText(ECHOED)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(window.form.submit_button, qtbot_left())
    outcome = window.outcome
    assert outcome is not None
    rejected = [i for i, c in enumerate(outcome.candidates) if c.rejected and outcome.records[i] is not None
                and outcome.records[i].instruction.strip()]
    if not rejected:
        pytest.fail(f"the seeded run rejected no candidate with an instruction: {window.status.text()}")
    before = target.read_bytes() if target.exists() else None
    window.results.select_index(rejected[0])
    assert (target.read_bytes() if target.exists() else None) == before
    reason = outcome.candidates[rejected[0]].rejected
    assert f"Candidate {rejected[0] + 1} was rejected ({reason})" in window.status.text()
    qtbot.mouseClick(window.findChild(QPushButton, "saveButton"), qtbot_left())
    saved = json.loads(target.read_text(encoding="utf-8"))
    assert [p["instruction"] for p in saved] == [outcome.records[rejected[0]].folded_instruction]


def test_cancel_returns_control_within_a_second_and_the_window_still_works(qtbot) -> None:
    window = make_window(qtbot, seed=3)
    set_params(window, n=10, max_tokens=2000, temperature=1.0, top_p=1.0, top_k=0)
    editor = window.findChild(QPlainTextEdit, "outputText")
    qtbot.keyClicks(editor, HAPPY)
    listing = window.findChild(QListWidget, "candidateList")
    qtbot.mouseClick(window.findChild(QPushButton, "submitButton"), qtbot_left())
    with Heartbeat() as beat:
        qtbot.waitUntil(lambda: any("\n" in listing.item(r).text() for r in range(listing.count())), timeout=60_000)
        qtbot.wait(2000)  # ten sequences decoding on every core meanwhile
    print(f"longest GUI heartbeat gap while 10 candidates were generated: {beat.longest_ms} ms")
    assert beat.longest_ms < 1000
    assert window.run_job is not None, "the run ended before Cancel: nothing was tested"
    started = time.perf_counter()
    with qtbot.waitSignal(window.runFinished, timeout=10_000):
        qtbot.mouseClick(window.findChild(QPushButton, "cancelButton"), qtbot_left())
    took = time.perf_counter() - started
    print(f"cancel returned control in {took * 1000:.0f} ms")
    assert took < 5.0
    assert window.outcome is None and "Cancelled" in window.status.text()
    assert window.findChild(QPushButton, "submitButton").isEnabled()
    assert not default_dataset().exists()  # nothing saved from a cancelled run

    set_params(window, n=1, max_tokens=128, temperature=0.3, top_p=0.9, top_k=40)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(window.findChild(QPushButton, "submitButton"), qtbot_left())
    assert window.outcome is not None and len(window.outcome.records) == 1


def test_bad_input_is_a_message_not_a_crash(qtbot, tmp_path: Path) -> None:
    window = make_window(qtbot)
    submit = window.findChild(QPushButton, "submitButton")
    qtbot.mouseClick(submit, qtbot_left())  # empty text
    assert "empty" in window.status.text() and window.run_job is None

    window.findChild(QPlainTextEdit, "outputText").setPlainText("word " * 9000)  # longer than the context
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(submit, qtbot_left())
    assert "too long" in window.status.text() and submit.isEnabled()

    bad = tmp_path / "notes.json"
    bad.write_text("{ my notes, not JSON", encoding="utf-8")
    window.results.dataset_path.setText(str(bad))
    window.findChild(QPlainTextEdit, "outputText").setPlainText(HAPPY)
    qtbot.mouseClick(submit, qtbot_left())
    assert "not valid JSON" in window.status.text() and window.run_job is None
    assert bad.read_text(encoding="utf-8") == "{ my notes, not JSON"

    window.results.dataset_path.setText(str(tmp_path / "missing" / "pairs.json"))
    qtbot.mouseClick(submit, qtbot_left())
    assert "does not exist" in window.status.text() and window.run_job is None


def test_broken_models_are_refused_with_the_reason(qtbot, tmp_path: Path, smol_path: Path) -> None:
    window = make_window(qtbot)
    not_gguf = tmp_path / "photo.gguf"
    not_gguf.write_bytes(b"\x89PNG\r\n" + bytes(500))
    assert window.open_model(not_gguf) is False
    assert "GGUF" in window.status.text()
    assert window.models.ready  # the loaded model is kept

    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(smol_path.read_bytes()[: 3_000_000])
    assert window.open_model(truncated) is False
    assert "truncated" in window.status.text() or "ends" in window.status.text()

    # a well-formed GGUF that llama.cpp cannot load (no model tensors): the worker reports why
    refused = write_gguf(tmp_path / "empty-llama.gguf")
    with qtbot.waitSignal(window.modelChanged, timeout=LOAD_TIMEOUT_MS) as blocker:
        assert window.open_model(refused) is True
    assert blocker.args == [False]
    assert "could not load" in window.status.text()
    assert "could not load" in window.findChild(QLabel, "modelLabel").text()
    qtbot.keyClicks(window.findChild(QPlainTextEdit, "outputText"), HAPPY)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(window.findChild(QPushButton, "submitButton"), qtbot_left())
    assert window.status.text() == strings.tr("no_model") and window.status.is_error

    # and the demo model loads again, without blocking the window
    with Heartbeat() as beat, qtbot.waitSignal(window.modelChanged, timeout=LOAD_TIMEOUT_MS) as blocker:
        window.open_model(smol_path)
    assert blocker.args == [True] and beat.longest_ms < 1000


def test_missing_default_model_shows_how_to_get_one(qtbot, tmp_path: Path) -> None:
    Settings(default_model=str(tmp_path / "gone.gguf")).save()
    window = make_window(qtbot, load=False)
    window.start()
    assert "not found" in window.status.text()
    qtbot.keyClicks(window.findChild(QPlainTextEdit, "outputText"), HAPPY)
    qtbot.mouseClick(window.findChild(QPushButton, "submitButton"), qtbot_left())
    assert window.run_job is None and "model" in window.status.text().lower()


def test_settings_persist_between_runs(qtbot, tmp_path: Path) -> None:
    window = make_window(qtbot, load=False)
    set_params(window, n=7, max_tokens=512, temperature=0.55)
    window.results.dataset_path.setText(str(tmp_path / "mine.jsonl"))
    window.results.auto_save.setChecked(False)
    window.set_language("zh")
    window.resize(760, 560)  # inside the offscreen screen (800x600), which clamps restored geometry
    window.close()

    again = make_window(qtbot, load=False, size=None)
    assert again.form.params()["n"] == 7 and again.form.params()["max_tokens"] == 512
    assert again.form.params()["temperature"] == pytest.approx(0.55)
    assert again.results.dataset_path.text() == str(tmp_path / "mine.jsonl")
    assert not again.results.auto_save.isChecked()
    assert again.settings.language == "zh"
    assert (again.width(), again.height()) == (760, 560)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("size", [(1280, 800), (1024, 700)])
def test_no_text_is_cut_off(qtbot, language: str, size: tuple[int, int]) -> None:
    window = make_window(qtbot, load=False)
    window.set_language(language)
    window.resize(*size)
    qtbot.waitExposed(window)
    qtbot.wait(50)
    assert window.width() <= size[0] and window.height() <= size[1]
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, (QPushButton, QLabel)) or not widget.isVisible() or (isinstance(widget, QLabel) and widget.wordWrap()) or not widget.text():
            continue
        if widget.objectName() in ("modelLabel", "statusLabel"):
            continue  # long paths elide by design; the tooltip has the whole text
        assert widget.sizeHint().width() <= widget.width() + 1, (widget.text(), widget.width())


def test_the_real_entry_point_shows_the_window(tmp_path: Path) -> None:
    env = {"QT_QPA_PLATFORM": "offscreen", "OPENING_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "opening.gui", "--quit-after-show"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("shown ")


def test_signal_emit_keeps_reference_counts() -> None:
    """PySide6 6.12.0's emit() dropped a reference to True on every call; after a few thousand streamed
    tokens Python 3.11 aborted ("bool_dealloc"). pyproject excludes that version; this catches a relapse."""
    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        piece = Signal(int, str)

    emitter = Emitter()
    got: list[int] = []
    emitter.piece.connect(lambda i, _text: got.append(i))
    before = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(100):
        emitter.piece.emit(i, "x")
    assert got == list(range(100))
    assert (sys.getrefcount(True), sys.getrefcount(False)) == pytest.approx(before, abs=5)


def test_every_rejection_reason_has_a_chinese_name() -> None:
    from opening.pipeline.candidate_filter import REASONS

    strings.set_language("zh")
    try:
        assert all(strings.reason(r) != r for r in REASONS)
        assert set(strings._ZH_REASONS) == set(REASONS)
    finally:
        strings.set_language("en")


def test_switching_language_keeps_the_edit_and_the_pick(qtbot) -> None:
    window = make_window(qtbot, seed=1)
    window.results.auto_save.setChecked(False)
    set_params(window, n=2, max_tokens=128)
    submit_and_wait(qtbot, window, HAPPY)
    assert window.review is not None and window.review.selected is not None, window.status.text()
    window.results.instruction_edit.setPlainText("Name the feeling in one word.")
    window.apply_edit()
    window.set_language("zh")
    assert window.findChild(QPushButton, "submitButton").text() == "提交"
    assert window.results.instruction_edit.toPlainText() == "Name the feeling in one word."
    assert json.loads(window.results.json_view.toPlainText())[0]["instruction"] == "Name the feeling in one word."
    listing = window.findChild(QListWidget, "candidateList")
    assert listing.currentItem().text().startswith("候选指令")


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch):
    from fake_hub import FakeHub

    hub = FakeHub()
    monkeypatch.setenv("HF_ENDPOINT", hub.start())
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    yield hub
    hub.stop()


def test_download_dialog_fetches_verifies_and_loads_the_model(qtbot, fake_hub, smol_path: Path) -> None:
    from PySide6.QtWidgets import QLineEdit, QProgressBar

    fake_hub.add("someone/smol-GGUF", "smol.gguf", smol_path.read_bytes())
    window = make_window(qtbot, load=False)
    dialog = window.show_download_dialog()
    dialog.choice.setCurrentIndex(dialog.choice.count() - 1)  # "Another GGUF on the Hub…"
    dialog.findChild(QLineEdit, "repoEdit").setText("someone/smol-GGUF")
    dialog.findChild(QLineEdit, "fileEdit").setText("smol.gguf")
    from PySide6.QtWidgets import QCheckBox

    make_default = dialog.findChild(QCheckBox, "downloadDefault")
    assert not make_default.isChecked()  # a download becomes the default only when asked
    make_default.setChecked(True)
    with qtbot.waitSignal(window.modelChanged, timeout=LOAD_TIMEOUT_MS) as loaded:
        qtbot.mouseClick(dialog.findChild(QPushButton, "downloadButton"), qtbot_left())
    assert loaded.args == [True]
    assert dialog.findChild(QProgressBar, "downloadProgress").value() == 1000
    target = Path(window.settings.default_model)
    assert target.name == "smol.gguf" and target.read_bytes() == smol_path.read_bytes()
    assert "checked" in dialog.status.text()
    assert not list(target.parent.glob("*.lock"))  # no lock file left beside a finished download
    dialog.close()


def test_download_dialog_uses_a_mirror_and_remembers_it(qtbot, fake_hub, smol_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QLineEdit

    mirror = os.environ["HF_ENDPOINT"]
    monkeypatch.delenv("HF_ENDPOINT")  # only the dialog's field says where the mirror is
    fake_hub.add("someone/smol-GGUF", "smol.gguf", smol_path.read_bytes())
    window = make_window(qtbot, load=False)
    dialog = window.show_download_dialog()
    field = dialog.findChild(QLineEdit, "hubEndpoint")
    assert field.text() == ""
    dialog.choice.setCurrentIndex(dialog.choice.count() - 1)
    dialog.repo.setText("someone/smol-GGUF")
    dialog.file.setText("smol.gguf")
    field.setText("hf-mirror.com")
    qtbot.mouseClick(dialog.start_button, qtbot_left())
    assert "web address" in dialog.status.text() and not fake_hub.gets()
    field.setText(mirror)
    with qtbot.waitSignal(dialog.finished_job, timeout=60_000):
        qtbot.mouseClick(dialog.start_button, qtbot_left())
    assert "checked" in dialog.status.text() and fake_hub.gets()
    dialog.close()
    assert window.settings.hf_endpoint == mirror
    again = window.show_download_dialog()
    assert again.findChild(QLineEdit, "hubEndpoint").text() == mirror  # kept for next time
    again.close()


def test_download_dialog_cancel_keeps_the_part_and_resumes(qtbot, fake_hub, tmp_path: Path) -> None:
    from opening.base import paths

    data = write_gguf(tmp_path / "big.gguf", tensors=8, rows=8192).read_bytes()  # 8 MB
    fake_hub.add("someone/big-GGUF", "big.gguf", data)
    fake_hub.delay_per_chunk = 0.02
    window = make_window(qtbot, load=False)
    dialog = window.show_download_dialog()
    dialog.choice.setCurrentIndex(dialog.choice.count() - 1)
    dialog.repo.setText("someone/big-GGUF")
    dialog.file.setText("big.gguf")
    qtbot.mouseClick(dialog.start_button, qtbot_left())
    qtbot.waitUntil(lambda: "MB/s" in dialog.status.text() and dialog.bar.value() > 0, timeout=30_000)
    with Heartbeat() as beat, qtbot.waitSignal(dialog.finished_job, timeout=10_000):
        qtbot.mouseClick(dialog.cancel_button, qtbot_left())
    assert "Cancelled" in dialog.status.text() and beat.longest_ms < 1000
    part = paths.models_dir() / "someone/big-GGUF/.big.gguf.part"
    assert part.exists() and 0 < part.stat().st_size < len(data)
    fake_hub.delay_per_chunk = 0.0
    with qtbot.waitSignal(dialog.finished_job, timeout=30_000):
        qtbot.mouseClick(dialog.start_button, qtbot_left())
    assert (paths.models_dir() / "someone/big-GGUF/big.gguf").read_bytes() == data
    assert fake_hub.gets()[-1].range is not None
    assert not window.settings.default_model  # not asked to: the default did not change
    dialog.close()


def test_convert_dialog_converts_and_loads_the_checkpoint(qtbot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QComboBox, QLineEdit, QProgressBar

    from tiny_checkpoint import Shape, make_checkpoint

    make_checkpoint(tmp_path / "tiny-baichuan", Shape())
    window = make_window(qtbot, load=False)
    dialog = window.show_convert_dialog()
    dialog.findChild(QLineEdit, "checkpointEdit").setText(str(tmp_path / "tiny-baichuan"))
    dialog.findChild(QLineEdit, "convertOutput").setText(str(tmp_path / "tiny.Q8_0.gguf"))
    dialog.findChild(QComboBox, "convertType").setCurrentText("Q8_0")
    with Heartbeat() as beat, qtbot.waitSignal(window.modelChanged, timeout=LOAD_TIMEOUT_MS) as loaded:
        qtbot.mouseClick(dialog.findChild(QPushButton, "convertButton"), qtbot_left())
    assert loaded.args == [True], dialog.status.text()
    assert dialog.findChild(QProgressBar, "convertProgress").value() == 1000
    assert "Q8_0" in window.findChild(QLabel, "modelLabel").text()
    assert beat.longest_ms < 1000
    print(f"longest GUI heartbeat gap while converting: {beat.longest_ms} ms")
    dialog.close()


def test_every_english_string_has_a_chinese_one() -> None:
    assert set(strings._EN) == set(strings._ZH)
    for key, text in strings._EN.items():  # the same placeholders in both languages
        assert sorted(re.findall(r"{(\w+)", text)) == sorted(re.findall(r"{(\w+)", strings._ZH[key])), key


# -- the Batch tab ------------------------------------------------------------------------------------------


def _batch_corpus(folder: Path, n: int) -> Path:
    folder.mkdir()
    texts = [f"Note {i}: the {['red', 'green', 'blue'][i % 3]} kite number {i} flew over the hill." for i in range(n)]
    (folder / "notes.txt").write_text("\n\n".join(texts), encoding="utf-8")
    return folder


def _batch_lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []


def test_batch_tab_starts_pauses_resumes_cancels_and_continues(qtbot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QLineEdit, QProgressBar, QSpinBox, QTabWidget

    window = make_window(qtbot, seed=5)
    set_params(window, n=2, max_tokens=12)
    tabs = window.findChild(QTabWidget, "tabs")
    tabs.setCurrentWidget(window.findChild(QWidget, "batchTab"))
    panel = window.batch
    corpus = _batch_corpus(tmp_path / "corpus", 8)
    out = tmp_path / "batch.jsonl"
    window.findChild(QLineEdit, "batchInputs").setText(str(corpus))
    window.findChild(QLineEdit, "batchOutput").setText(str(out))
    window.findChild(QSpinBox, "batchParallel").setValue(2)  # two passages in flight: a pause still leaves some to run
    start, pause, cancel = (window.findChild(QPushButton, name) for name in ("batchStart", "batchPause", "batchCancel"))
    progress = window.findChild(QProgressBar, "batchProgress")
    failures: list[str] = []
    window.engine.worker.batchFailed.connect(failures.append)
    plans: list = []
    window.engine.worker.batchPlanned.connect(plans.append)

    # start, then pause after the first record: the passage in flight ends, the run stops
    with qtbot.waitSignal(window.engine.worker.batchRecord, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(start, qtbot_left())
    assert not start.isEnabled() and pause.isEnabled()
    qtbot.mouseClick(pause, qtbot_left())
    qtbot.waitUntil(lambda: panel.job is None, timeout=RUN_TIMEOUT_MS)
    paused_at = len(_batch_lines(out))
    assert failures == []
    assert 0 < paused_at < 8 and pause.text() == "Resume", panel.summary.text()
    assert panel.summary.text().startswith("Paused after")
    assert progress.maximum() == 8 and progress.value() == paused_at
    assert plans and plans[0].parallel.k == 2 and plans[0].seconds is not None and 0 < plans[0].seconds

    # resume: continues without writing any passage twice, then cancel abandons the passage in flight
    with qtbot.waitSignal(window.engine.worker.batchRecord, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(pause, qtbot_left())
    qtbot.mouseClick(cancel, qtbot_left())
    qtbot.waitUntil(lambda: panel.job is None, timeout=RUN_TIMEOUT_MS)
    after_cancel = _batch_lines(out)
    assert failures == []
    assert paused_at < len(after_cancel) < 8
    assert start.isEnabled() and panel.summary.text().startswith("Cancelled after")

    # the output holds an unfinished run: the tab offers to continue it, and Start finishes it
    panel.check_output()
    assert f"unfinished run ({len(after_cancel)} records)" in panel.earlier.text()
    qtbot.mouseClick(start, qtbot_left())
    assert panel.job is not None, window.status.text()
    qtbot.waitUntil(lambda: panel.job is None, timeout=RUN_TIMEOUT_MS)
    final = _batch_lines(out)
    assert failures == []
    assert len(final) == 8 and len({r["key"] for r in final}) == 8
    assert final[: len(after_cancel)] == after_cancel  # what was written stays as written
    assert panel.summary.text().startswith("Done:")
    assert panel.table.rowCount() > 0

    # the single-text form still works on the same engine thread afterwards
    window.settings.choice = {"helps_below": 100.0}
    submit_and_wait(qtbot, window, HAPPY)
    assert window.outcome is not None and window.outcome.ranking is not None


def test_a_scorer_chosen_in_the_model_panel_scores_the_runs_and_is_remembered(
    qtbot, scripted_window_model: Path, smol_path: Path, tmp_path: Path
) -> None:
    window = make_window(qtbot, seed=1)
    button = window.findChild(QPushButton, "scorerButton")
    assert button.text() == "Scorer: the model" and button.menu() is not None
    with qtbot.waitSignal(window.modelChanged, timeout=LOAD_TIMEOUT_MS) as blocker:
        window.models.set_scorer(smol_path)  # what Scorer → Choose… does with the file picked
    assert blocker.args == [True], window.status.text()
    assert button.text() == "Scorer: Smollm2 135M 8k Lc100K Mix1 Ep2"
    assert window.status.text().endswith("Smollm2 135M 8k Lc100K Mix1 Ep2 scores the candidates.")
    assert Settings.load().scorer_model == str(smol_path)
    set_params(window, n=2, max_tokens=24)
    submit_and_wait(qtbot, window, HAPPY)
    assert window.outcome is not None and window.outcome.report["scorer"]["path"] == str(smol_path)
    assert all(r.scorer_name.startswith("Smollm2") for r in window.outcome.records)
    # the scorer's file gone: said on the status line, and the model scores its own candidates
    gone = tmp_path / "gone.gguf"
    with qtbot.waitSignal(window.modelChanged, timeout=LOAD_TIMEOUT_MS):
        window.models.set_scorer(gone)
    assert "gone.gguf" in window.status.text() and button.text() == "Scorer: the model"
    submit_and_wait(qtbot, window, HAPPY)
    assert window.outcome is not None and window.outcome.report["scorer"] is None
    # No scorer, from the menu
    with qtbot.waitSignal(window.modelChanged, timeout=LOAD_TIMEOUT_MS):
        button.menu().actions()[1].trigger()
    assert Settings.load().scorer_model is None
