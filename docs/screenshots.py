"""Make the README's screenshots: the window after a real run, English and Chinese, at two sizes; the
Review tab; and the four of daily use (issue 19): the first launch, a finished run with its progress and
status, the Chinese window with an error, the model picker (a screen grab: menus are windows of their own).

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots.py [--model PATH]
    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb .venv/bin/python docs/screenshots.py

The second form (a real X server, Qt's xcb platform: menus with their mnemonics, the platform's
fonts) made the screenshots in docs/.

Needs a CJK font for the Chinese shots (Debian: apt-get install fonts-noto-cjk). Uses a scratch user
folder, so it never touches your settings or datasets.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HAPPY = "happy"
XIAOMA = (
    "老马让小马把半口袋麦子驮到磨坊去。途中遇到一条小河，小马询问老牛能不能过河。老牛说：“水很浅，刚没小腿，能过去。”"
)
SHOTS = (("en", HAPPY, (1280, 800)), ("en", HAPPY, (1024, 700)), ("zh", XIAOMA, (1280, 800)), ("zh", XIAOMA, (1024, 700)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="GGUF to run (default: the embedded demo model)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["OPENING_HOME"] = tempfile.mkdtemp(prefix="opening-shots-")
    if args.model:
        os.environ["OPENING_MODEL"] = args.model

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from opening.gui import strings
    from opening.gui.main_window import MainWindow
    from opening.base.settings import Settings

    app = QApplication(sys.argv[:1])
    app.setApplicationName("OpenING Desktop")

    def wait_for(signal) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)
        loop.exec()
        signal.disconnect(loop.quit)

    def settle(ms: int = 200) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    for language, text, (width, height) in SHOTS:
        strings.set_language(language)
        window = MainWindow(Settings(), seed=args.seed)
        window.resize(width, height)
        window.show()
        QTimer.singleShot(0, window.start)
        wait_for(window.modelChanged)
        window.form.output_text.setPlainText(text)
        window.submit()
        wait_for(window.runFinished)
        settle()
        out = HERE / f"window-{language}-{width}x{height}.png"
        window.grab().save(str(out))
        print(f"{out.name}: {window.status.text()}")
        window.close()

    ux_shots(args.seed, wait_for, settle)

    # the Review tab on a real batch run of the first dev-set texts (English and Chinese)
    ledger = review_ledger(args.model)
    for language in ("en", "zh"):
        strings.set_language(language)
        window = MainWindow(Settings(), seed=args.seed)
        window.resize(1280, 800)
        window.show()
        window.open_review(str(ledger))
        panel = window.review_panel
        while panel.source_filter.count() <= 1:
            settle(100)
        panel.select_row(0)
        panel.mark("accepted") if panel.model.entry(0).status == "chosen" else None
        panel.select_row(2 if language == "en" else 4)  # an English record, a Chinese one
        settle()
        out = HERE / f"review-{language}-1280x800.png"
        window.grab().save(str(out))
        print(f"{out.name}: {window.status.text()}")
        window.close()
    return 0


def ux_shots(seed: int, wait_for, settle) -> None:
    """ux-first-launch, ux-finished-run, ux-chinese-error, ux-model-picker (each printed with its status)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QGuiApplication

    from opening.base.settings import Settings
    from opening.gui import strings
    from opening.gui.main_window import MainWindow
    from opening.models.registry import register

    def grab(window, name: str, *, screen: bool = False) -> None:
        settle(300)
        out = HERE / f"{name}.png"
        if screen:  # the window and the menus open over it, as the screen shows them
            frame = window.frameGeometry()
            QGuiApplication.primaryScreen().grabWindow(0, frame.x(), frame.y(), frame.width() + 420, frame.height()).save(str(out))
        else:
            window.grab().save(str(out))
        print(f"{out.name}: {window.status.text()}")

    def new_window(language: str, size: tuple[int, int] = (1100, 720)) -> MainWindow:
        strings.set_language(language)
        window = MainWindow(Settings.load(), seed=seed)
        window.resize(*size)
        window.move(0, 0)
        window.show()
        QTimer.singleShot(0, window.start)
        wait_for(window.modelChanged)
        return window

    from PySide6.QtCore import QTimer

    os.environ["OPENING_HOME"] = tempfile.mkdtemp(prefix="opening-first-")  # a first launch: nothing kept yet
    window = new_window("en")
    grab(window, "ux-first-launch")
    window.form.output_text.setPlainText(HAPPY)
    window.submit()
    wait_for(window.runFinished)
    grab(window, "ux-finished-run")
    window.close()

    window = new_window("zh")
    junk = Path(os.environ["OPENING_HOME"]) / "下载的模型.gguf"
    junk.write_bytes(b"<html>404 Not Found</html>")
    window.open_model(junk)
    grab(window, "ux-chinese-error")
    window.close()

    sys.path.insert(0, str(HERE.parent / "tests"))
    from gguf_factory import write_gguf  # a small real GGUF model file, as the tests write them

    register(write_gguf(Path(os.environ["OPENING_HOME"]) / "tiny-random-llama.gguf"), "added")
    window = new_window("en")
    bar = window.menuBar()
    window.models_menu.popup(bar.mapToGlobal(bar.actionGeometry(window.models_menu.menuAction()).bottomLeft()))
    settle(200)
    menu_rect = window.models_menu.actionGeometry(window.pick_menu.menuAction())
    window.pick_menu.popup(window.models_menu.mapToGlobal(QPoint(menu_rect.right(), menu_rect.top())))
    grab(window, "ux-model-picker", screen=True)
    window.pick_menu.close()
    window.models_menu.close()
    window.close()


def review_ledger(model: str | None) -> Path:
    """A batch ledger made by `opening batch` on six texts of tests/data/dev_pairs.jsonl (three en, three zh)."""
    import json
    import subprocess

    dev = [json.loads(line) for line in (HERE.parent / "tests" / "data" / "dev_pairs.jsonl").read_text("utf-8").splitlines()]
    texts = [d["output"] for d in dev if d.get("lang") == "en"][:3] + [d["output"] for d in dev if d.get("lang") == "zh"][:3]
    folder = Path(os.environ["OPENING_HOME"]) / "review"
    folder.mkdir()
    corpus = folder / "dev.jsonl"
    corpus.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    out = folder / "pairs.jsonl"
    cmd = [sys.executable, "-m", "opening", "batch", str(corpus), "--out", str(out), "-n", "3", "--max-tokens", "48",
           "--seed", "1", "--save-anyway", "--parallel", "2"]
    if model:
        cmd += ["--model", model]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


if __name__ == "__main__":
    sys.exit(main())
