"""The Chinese window says every failure in Chinese (issue 19): each error a window flow meets, from the
core, the converter, the downloader or the window itself, is shown as the catalogue's Chinese sentence
and holds no English words but the names it quotes; the status line says its message again when the
language is switched."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from PySide6.QtWidgets import QLineEdit, QPlainTextEdit
from test_gui import make_window

from opening.base.errors import BadInput, ModelError, OpeningError
from opening.data.dataset_file import SaveError
from opening.gui import strings

TECHNICAL = {"GGUF", "JSON", "JSONL", "Lines", "jsonl", "json", "gguf", "UTF", "NUL", "Hugging", "Face", "Hub", "pairs", "config"}
"""Words a Chinese sentence may keep: formats, and the names of files it quotes."""


def english_words(shown: str, *quoted: object) -> list[str]:
    """The English words left in ``shown`` once the names it quotes (paths, repo ids, URLs) are taken out."""
    for name in sorted((str(q) for q in quoted), key=len, reverse=True):
        shown = shown.replace(name, " ")
    return [w for w in re.findall(r"[A-Za-z]{3,}", shown) if w not in TECHNICAL]


def chinese_window(qtbot):
    window = make_window(qtbot, load=False)
    window.set_language("zh")
    return window


def shows(window, error: OpeningError, *quoted: object) -> None:
    shown = window.status.text()
    assert window.status.is_error, shown
    assert shown == error.text("zh"), shown
    assert re.search(r"[\u4e00-\u9fff]", shown) and not english_words(shown, *quoted), shown


def submit(window, text: str) -> None:
    window.findChild(QPlainTextEdit, "outputText").setPlainText(text)
    window.submit()


def test_text_and_save_target_errors_are_chinese(qtbot, tmp_path: Path) -> None:
    window = chinese_window(qtbot)
    submit(window, "   ")
    shows(window, BadInput("text.empty"))
    submit(window, "a\x00b")
    shows(window, BadInput("text.nul"))
    submit(window, "x" * 200_001)
    shows(window, BadInput("text.too_long", chars=200_001, limit=200_000))
    window.results.auto_save.setChecked(True)
    window.results.dataset_path.setText(str(tmp_path))
    submit(window, "happy")
    shows(window, SaveError("path.is_folder_give_file", path=tmp_path, example=tmp_path / "pairs.json"), tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text("[{not json", encoding="utf-8")
    window.results.dataset_path.setText(str(broken))
    submit(window, "happy")
    shown = window.status.text()
    assert shown.startswith(f"{broken} 不是有效的 JSON（") and shown.endswith("）；不会改动它"), shown
    window.results.auto_save.setChecked(False)
    submit(window, "happy")  # no model open: the window's own words
    assert window.status.text() == strings.tr("no_model") and window.status.is_error


def test_model_file_errors_are_chinese(qtbot, tmp_path: Path) -> None:
    window = chinese_window(qtbot)
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model at all" * 10)
    assert window.open_model(junk) is False
    shows(window, ModelError("gguf.not_gguf", path=junk), junk)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    window.open_model(empty)
    shows(window, ModelError("gguf.empty", path=empty), empty)


def test_review_errors_are_chinese(qtbot, tmp_path: Path) -> None:
    window = chinese_window(qtbot)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    assert window.review_panel.open_file(str(notes)) is False
    shows(window, BadInput("review.kind", name=notes.name), notes.name)
    array = tmp_path / "bad.json"
    array.write_text('[{"instruction": "a", "output": "b"}, {oops', encoding="utf-8")
    assert window.review_panel.open_file(str(array)) is False
    shows(window, BadInput("review.bad_json_at", name=array.name, at=38), array.name)


def test_the_batch_tab_s_errors_are_chinese(qtbot) -> None:
    window = chinese_window(qtbot)
    window.batch.start()
    assert window.status.is_error
    assert window.status.text() in (strings.tr("batch_need_inputs"), strings.tr("no_model")), window.status.text()
    assert not english_words(window.status.text())


def test_the_download_dialog_says_an_unreachable_mirror_in_chinese(qtbot) -> None:
    window = chinese_window(qtbot)
    dialog = window.show_download_dialog()
    with socket.socket() as s:  # a port on this machine where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mirror = f"http://127.0.0.1:{port}"
    dialog.choice.setCurrentIndex(dialog.choice.count() - 1)
    dialog.repo.setText("someone/model-GGUF")
    dialog.file.setText("model.gguf")
    dialog.findChild(QLineEdit, "hubEndpoint").setText(mirror)
    with qtbot.waitSignal(dialog.finished_job, timeout=60_000):
        dialog.start()
    shown = dialog.status.text()
    expected = ModelError("download.cannot_connect", where="someone/model-GGUF/model.gguf", hub=mirror)
    assert shown == strings.tr("error", reason=expected.text("zh")), shown
    assert not english_words(shown, "someone/model-GGUF/model.gguf", mirror), shown
    assert "command" not in shown  # the CLI's words ("run the same command again") are not the window's
    dialog.close()


def test_the_convert_dialog_s_errors_are_chinese(qtbot, tmp_path: Path) -> None:
    window = chinese_window(qtbot)
    dialog = window.show_convert_dialog()
    folder = tmp_path / "not-a-checkpoint"
    folder.mkdir()
    dialog.findChild(QLineEdit, "checkpointEdit").setText(str(folder))
    dialog.findChild(QLineEdit, "convertOutput").setText(str(tmp_path / "out.gguf"))
    with qtbot.waitSignal(dialog.finished_job, timeout=60_000):
        dialog.start()
    from opening_convert.errors import ConvertError

    shown = dialog.status.text()
    assert shown == strings.tr("error", reason=ConvertError("convert.no_config", folder=folder).text("zh")), shown
    assert not english_words(shown, folder), shown
    dialog.close()


def test_switching_the_language_says_the_status_again(qtbot) -> None:
    window = make_window(qtbot, load=False)
    submit(window, "")
    english = BadInput("text.empty")
    assert window.status.text() == str(english)
    window.set_language("zh")
    assert window.status.text() == english.text("zh") and window.status.is_error
    window.set_language("en")
    assert window.status.text() == str(english)
    window.show_status(strings.words("status_ready"))
    window.set_language("zh")
    assert window.status.text() == strings._ZH["status_ready"]
    window.set_language("en")
