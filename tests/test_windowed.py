"""What a double-clicked window needs (issue 15): a log file in the user's log folder, an uncaught error
reported with that file's path (not a silent exit), one window per user folder, and the self-test —
from source here; tests/../packaging/smoke_test.py runs the same on the built bundle."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from opening.base import paths
from opening.base.logs import LOG_FILE, configure_logging
from opening.gui.crash import CrashReporter
from opening.gui.single_instance import InstanceServer, ask_running_window, server_name
from opening.pipeline.self_test import run_self_test

ENTRY = [sys.executable, "-m", "opening.gui"]


def test_the_window_logs_to_a_rotating_file_in_the_user_log_folder(tmp_path: Path) -> None:
    log_file = paths.log_dir() / LOG_FILE
    assert paths.log_dir() == Path(os.environ["OPENING_HOME"]) / "logs"
    try:
        opened = configure_logging(0, "opening-desktop", log_file=log_file)
        assert opened == log_file
        logging.getLogger("opening.test").info("a step worth keeping")  # INFO reaches the file, not stderr
        logging.getLogger("opening.test").warning("a warning")
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = log_file.read_text(encoding="utf-8")
        assert "INFO opening.test: a step worth keeping" in text and "WARNING opening.test: a warning" in text
    finally:
        configure_logging(0, "pytest")
    readonly = tmp_path / "ro"
    readonly.mkdir()
    (readonly / "logs").write_text("a file where the folder should be", encoding="utf-8")
    try:
        assert configure_logging(0, "opening-desktop", log_file=readonly / "logs" / LOG_FILE) is None  # no crash
    finally:
        configure_logging(0, "pytest")


def test_an_uncaught_error_is_logged_and_shown_with_the_log_path(qtbot, tmp_path: Path, caplog) -> None:
    reporter = CrashReporter(tmp_path / "app.log")
    try:
        raise ZeroDivisionError("division by zero in a slot")
    except ZeroDivisionError:
        kind, value, tb = sys.exc_info()
    with caplog.at_level(logging.CRITICAL, logger="opening.crash"):
        reporter.hook(kind, value, tb)  # type: ignore[arg-type]
        qtbot.waitUntil(lambda: len(reporter.shown) == 1, timeout=5000)
    assert "ZeroDivisionError: division by zero in a slot" in reporter.shown[0] and str(tmp_path / "app.log") in reporter.shown[0]
    assert "Traceback" in caplog.text and "test_windowed.py" in caplog.text  # the whole traceback goes to the log
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.objectName() == "crashMessage"]
    assert boxes and boxes[0].isVisible()
    for box in boxes:
        box.close()
    # an error on a worker thread is shown too, by the GUI thread
    worker = threading.Thread(target=lambda: reporter.hook(RuntimeError, RuntimeError("in a worker"), None))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(reporter.shown) == 2, timeout=5000)
    assert "RuntimeError: in a worker" in reporter.shown[1]
    for box in list(reporter.boxes):  # a box left open would stay the active window for later tests
        box.close()
    assert reporter.boxes == []


def test_a_second_start_raises_the_first_window_and_exits(qtbot, tmp_path: Path, monkeypatch) -> None:
    assert not ask_running_window()  # nobody listens yet
    server = InstanceServer()
    try:
        with qtbot.waitSignal(server.raiseRequested, timeout=5000):
            ready = threading.Event()
            result: list[int] = []

            def second_start() -> None:  # the real entry point, in another process
                env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
                proc = subprocess.run(ENTRY, env=env, capture_output=True, text=True, timeout=120)
                result.append(proc.returncode)
                result.append(proc.stdout)  # type: ignore[arg-type]
                ready.set()

            threading.Thread(target=second_start, daemon=True).start()
            qtbot.waitUntil(ready.is_set, timeout=120_000)
        assert result[0] == 0 and "already running" in str(result[1])
    finally:
        server.close()
    # another user folder is another app: its name differs
    name = server_name()
    monkeypatch.setenv("OPENING_HOME", str(tmp_path / "other"))
    assert server_name() != name


def test_the_self_test_runs_the_demo_model_end_to_end(tmp_path: Path) -> None:
    started = time.perf_counter()
    result = run_self_test(threads=2)
    assert result.ok, result.verdict()
    verdict = result.verdict()
    assert verdict.startswith("self-test passed (SmolLM2-135M-Instruct.Q4_1.gguf loaded in ")
    assert "'happy': 3 candidates ranked" in verdict and "'老马让小马把半口袋麦…': 3 candidates ranked" in verdict
    assert "2 pairs saved to a temporary folder and read back" in verdict
    print(f"self-test: {time.perf_counter() - started:.1f} s — {verdict}")
    missing = run_self_test(tmp_path / "none.gguf")
    assert not missing.ok and "none.gguf" in missing.verdict() and missing.verdict().startswith("self-test FAILED")


def test_the_entry_points_self_test_prints_one_line_and_exits_0(tmp_path: Path) -> None:
    env = {"OPENING_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}  # no display: the window check goes offscreen
    proc = subprocess.run([*ENTRY, "--self-test"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("\n") == 1 and proc.stdout.startswith("self-test passed") and "the window builds" in proc.stdout
    assert not (tmp_path / "session.json").exists()  # the check's window left the user's next start alone
    config = tmp_path / "config.json"
    saved = json.loads(config.read_text(encoding="utf-8")) if config.exists() else {}
    assert saved.get("window_geometry") is None  # nor its settings


def test_help_self_test_shows_its_verdict_in_the_window(qtbot) -> None:
    from test_gui import make_window

    window = make_window(qtbot, load=False)
    menus = [a.text() for a in window.menuBar().actions()]
    assert "&Help" in menus and window.self_test_action.text() == "&Self-test"
    window.self_test_action.trigger()
    assert "Self-test running" in window.status.text()
    assert not window.self_test.start()  # one at a time
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "selfTestResult") is not None, timeout=300_000)
    box = window.findChild(QMessageBox, "selfTestResult")
    assert box.text().startswith("self-test passed"), box.text()
    box.close()


def test_a_model_check_killed_by_an_illegal_instruction_names_the_cpu(tmp_path: Path, monkeypatch, smol_path: Path) -> None:
    """What a native build does on an older CPU (measured: SIGILL under qemu -cpu Haswell): the check's
    child dies of SIGILL, and the message says the processor lacks an instruction, not that the file is
    damaged. The child here is a real process that really gets SIGILL."""
    from opening.base.errors import ModelError
    from opening.llama import probe

    monkeypatch.setattr(probe, "probe_command", lambda path: [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGILL)"])
    try:
        probe.vet_model(smol_path)
    except ModelError as exc:
        said = str(exc)
    else:
        raise AssertionError("a child killed by SIGILL passed the check")
    assert "illegal instruction" in said and "newer CPU" in said and "damaged" not in said
