"""Every message the core and the converter can raise has an id in the catalogue, in English and in
Chinese with the same placeholders (issue 19: the Chinese window shows no English sentence). The ids are
found by reading the code itself, so a new ``raise BadInput(f"...")`` fails here."""

from __future__ import annotations

import ast
import errno
import json
import pickle
import re
import string
from pathlib import Path

import pytest

import opening_convert  # noqa: F401  (adds the converter's messages to the catalogue)
import opening_train  # noqa: F401  (and the trainer's)
from opening.base.errors import BadInput, ModelError, OpeningError, describe_os_error
from opening.base.message_catalog import CATALOG as CORE_CATALOG
from opening.base.messages import CATALOG, VERBATIM, WINDOW, Message

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    *(ROOT / "desktop" / "opening").rglob("*.py"),
    *(ROOT / "convert" / "opening_convert").rglob("*.py"),
    *(ROOT / "train" / "opening_train").rglob("*.py"),
]
ERRORS = {"OpeningError", "BadInput", "ModelError", "Cancelled", "SaveError", "ConvertError", "error"}
"""The error classes (``error``: the class a path check is given) and what builds a message."""
MESSAGE_MAKERS = {"Message", "fail"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _literal_ids(node: ast.expr) -> list[str] | None:
    """The id(s) a call's first argument names: a string, or either branch of ``a if c else b``; None
    for anything else (a Message built elsewhere, a variable)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        a, b = _literal_ids(node.body), _literal_ids(node.orelse)
        return a + b if a is not None and b is not None else None
    return None


def _calls() -> list[tuple[str, int, str, ast.expr]]:
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            is_fail = isinstance(func, ast.Attribute) and func.attr == "fail"
            name = func.id if isinstance(func, ast.Name) else "fail" if is_fail else ""
            if name in ERRORS | MESSAGE_MAKERS:
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", name, name, node.args[0]))
    return found


def test_no_error_is_raised_with_an_english_sentence() -> None:
    calls = _calls()
    assert len(calls) > 200, "the scan found too few raise sites: is it reading the code?"
    sentences = [(where, ast.unparse(arg)) for where, _n, _k, arg in calls if isinstance(arg, ast.JoinedStr)]
    assert not sentences, f"errors raised with an f-string instead of a message id: {sentences}"
    unknown = []
    for where, name, _k, arg in calls:
        ids = _literal_ids(arg)
        if ids is None:
            continue
        if name == "Message" and isinstance(arg, ast.JoinedStr):
            continue
        unknown += [(where, i) for i in ids if i not in CATALOG]
    assert not unknown, f"ids the code names that the catalogue lacks: {unknown}"


def test_what_names_given_to_the_path_checks_are_catalogued_or_file_names() -> None:
    checks = {"regular_file", "new_or_regular_file", "inside", "plain_text"}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in checks:
                what = node.args[2] if node.func.id == "inside" else node.args[1]
                if isinstance(what, ast.Constant):
                    assert what.value in CATALOG or "." in what.value and " " not in what.value, (path, node.lineno)


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_each_message_says_the_same_in_both_languages(key: str) -> None:
    en, zh = CATALOG[key]
    fields = lambda text: sorted({f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f})  # noqa: E731
    assert fields(en) == fields(zh), key
    if key not in (VERBATIM, WINDOW) and re.search(r"[A-Za-z]{3}", re.sub(r"\{[^}]*\}", "", en)):
        assert CJK.search(zh), f"{key}: the Chinese sentence has no Chinese in it"
        assert en != zh


def test_rendered_sentences_match_references_written_by_hand() -> None:
    full = OSError(errno.ENOSPC, "No space left on device")
    err = BadInput("path.cannot_read", path="/data/a.txt", reason=describe_os_error(full))
    assert str(err) == "cannot read /data/a.txt: the disk is full"
    assert err.text("zh") == "无法读取 /data/a.txt：磁盘已满"
    long = BadInput("text.too_long", chars=200001, limit=200000)
    assert str(long) == "the text is 200001 characters long; the limit is 200000"
    assert long.text("zh") == "文本长 200001 个字符；上限为 200000"
    space = ModelError("download.no_space", folder="/m", need_gb=4.1234, free_gb=0.5)
    assert "the model needs 4.12 GB, 0.50 GB are free" in str(space) and "需要 4.12 GB，只剩 0.50 GB" in space.text("zh")
    unknown_os = describe_os_error(OSError(errno.EIO, "Input/output error"))
    assert unknown_os.render("zh") == "Input/output error"  # the system's own words, the same in both


def test_a_message_survives_pickling_and_json() -> None:
    err = ModelError("model.from_where", reason=Message("model.none_found"), where="OPENING_MODEL")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is ModelError and str(back) == str(err) and back.text("zh") == err.text("zh")
    again = Message.from_json(json.loads(json.dumps(err.message.to_json())))
    assert again.render("zh") == err.text("zh") and "OPENING_MODEL" in again.render("zh")
    assert Message.from_json("plain words").render("zh") == "plain words"


def test_the_core_catalogue_is_the_core_s_own() -> None:
    """The converter's ids are added beside the core's, never over them."""
    from opening.base.messages import add_messages

    with pytest.raises(ValueError, match="defined twice"):
        add_messages({"text.empty": ("other", "其他")})
    assert "convert.no_config" in CATALOG and "convert.no_config" not in CORE_CATALOG
    assert isinstance(OpeningError("text.empty").message, Message)
