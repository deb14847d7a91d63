"""Reading text files a person gives (a corpus, a dataset, a training source): one home for the rules.

* **Encoding**: UTF-8, with or without a byte-order mark (the BOM is dropped, never part of the first
  record); NUL bytes or other encodings are a :class:`TextProblem` that names the line and byte.
* **Lines**: split on ``\\n`` (and ``\\r\\n``) only. Python's ``str.splitlines`` also splits on U+2028,
  U+2029, U+0085, form feeds and others, which JSON strings may hold unescaped: a JSONL record holding
  one must stay one record.
* **Strings**: JSON may spell a lone surrogate (``"\\ud800"``), which no UTF-8 file can hold;
  :func:`is_unicode` tells such a value apart so that the one record is reported, not the whole run lost.
* **Names**: a file name that is not UTF-8 (bytes kept by Python as surrogates) is shown and recorded with
  the undecodable bytes replaced (:func:`shown_name`), so that it can be written to a UTF-8 record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class TextProblem(Exception):
    reason: str
    where: str = ""
    """``line 3, byte 41`` …"""


def _where(raw: bytes, at: int) -> str:
    """``byte N`` (from the file's start, BOM included) and, past the first line, its line."""
    line = raw.count(b"\n", 0, at) + 1
    return f"line {line}, byte {at}" if line > 1 else f"byte {at}"


def decode_text(raw: bytes) -> str:
    """``raw`` as text (a leading BOM dropped); a :class:`TextProblem` for NUL bytes or bytes that are not UTF-8."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise TextProblem("not a text file (it contains NUL bytes)", _where(raw, nul))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextProblem("not UTF-8 text", _where(raw, exc.start)) from None


def split_lines(text: str) -> list[str]:
    """The lines of ``text``, split on newlines only (a ``\\r`` before one is dropped)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(number, line)`` from 1, as :func:`split_lines` splits them."""
    return enumerate(split_lines(text), 1)


def may_hold_surrogates(raw: bytes) -> bool:
    """Whether JSON text that decoded as UTF-8 can hold a lone surrogate at all: only a ``\\uD800``-``\\uDFFF``
    escape makes one. A byte search, so that readers check the rare line and not every record."""
    return b"\\ud" in raw or b"\\uD" in raw


def is_unicode(value: Any) -> bool:
    """Every string in ``value`` (a parsed JSON value) can be written as UTF-8 (no lone surrogate)."""
    try:
        if isinstance(value, str):
            value.encode("utf-8")
            return True
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return False
    return True


def shown_name(path: Path | str) -> str:
    """``path`` as text that UTF-8 can hold: undecodable bytes of the name become U+FFFD."""
    name = str(path)
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
