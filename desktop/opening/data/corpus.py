"""Corpus files in, passages out: the reading half of batch mode (no model, no llama.cpp).

Inputs are files or folders (searched recursively by extension, or by ``glob``):

* ``.txt`` — passages split on blank lines;
* ``.md`` — split on headings and blank lines; a fenced code block stays whole with its paragraph;
* ``.jsonl`` / ``.json`` — the string in the field named by ``field`` (``text`` by default) of each
  object (a JSON array of objects, or of strings);
* ``.csv`` / ``.tsv`` — the column named by ``column`` (``text`` by default).

Each passage knows where it came from (file, line or byte offset, item) and its SHA-256. A file that
cannot be read — binary, not UTF-8, unreadable, without the named column — is a :class:`Problem`
naming the file (and line or byte offset), and the rest of the corpus is still read; a JSONL file's
broken lines are problems of their own and its good lines are passages.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from opening.base.errors import BadInput, describe_os_error
from opening.data.user_text import TextProblem, decode_text, is_unicode, numbered_lines, shown_name

EXTENSIONS = (".txt", ".md", ".jsonl", ".json", ".csv", ".tsv")
MAX_FILE_BYTES = 1 << 30
"""A corpus file larger than this is refused (a passage-level reader would hold it all)."""


@dataclass(frozen=True)
class Passage:
    text: str
    file: str
    line: int | None = None
    """1-based line where the passage starts (text, Markdown, JSONL), or the CSV row."""
    item: int | None = None
    """0-based index in a JSON array."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def source(self) -> dict[str, object]:
        where: dict[str, object] = {"file": self.file}
        if self.line is not None:
            where["line"] = self.line
        if self.item is not None:
            where["item"] = self.item
        where["sha256"] = self.sha256
        return where


@dataclass(frozen=True)
class Problem:
    file: str
    reason: str
    where: str = ""
    """``line 12``, ``byte 4096``…: empty when the whole file is concerned."""

    def __str__(self) -> str:
        return f"{self.file}{', ' + self.where if self.where else ''}: {self.reason}"


def _walk(folder: Path, glob: str | None) -> Iterator[Path]:
    """Files under ``folder`` matching ``glob`` (a name pattern such as ``*.txt``, matched from the right
    as ``Path.match`` does) or, without one, of a corpus extension; symbolic links to folders are followed,
    each real folder once (a link back up cannot loop)."""
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            rel = path.relative_to(folder)
            if (rel.match(glob) if glob else path.suffix.lower() in EXTENSIONS) and path.is_file():
                yield path


def check_glob(glob: str | None) -> None:
    """``--glob`` is a pattern for names inside the folders given, never a path of its own."""
    if glob is not None and (not glob.strip() or Path(glob).is_absolute() or ".." in Path(glob).parts):
        raise BadInput("batch.glob_not_relative", glob=glob)


def find_inputs(inputs: list[str], glob: str | None = None) -> tuple[list[Path], list[Problem]]:
    """The files to read, in a stable order: files as given, folders searched recursively (symbolic links
    to folders followed). A name that cannot even be looked at (too long, a loop of links) is a problem."""
    check_glob(glob)
    files: list[Path] = []
    problems: list[Problem] = []
    for name in inputs:
        path = Path(name)
        try:
            if path.is_dir():
                found = list(_walk(path, glob))
                if not found:
                    problems.append(Problem(shown_name(name), f"the folder holds no {glob or '/'.join(EXTENSIONS)} files"))
                files.extend(found)
            elif path.is_file():
                files.append(path)
            elif path.exists():
                problems.append(Problem(shown_name(name), "not a regular file or folder"))
            else:
                problems.append(Problem(shown_name(name), "no such file or folder"))
        except OSError as exc:
            problems.append(Problem(shown_name(name)[:120], f"cannot look at it: {describe_os_error(exc)}"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


def read_passages(path: Path, *, field: str = "text", column: str = "text") -> Iterator[Passage | Problem]:
    """The passages of one file, and a :class:`Problem` for what cannot be read (never raises)."""
    name = shown_name(path)  # recorded in every passage's source: UTF-8 even when the name is not
    kind = path.suffix.lower()
    if kind not in EXTENSIONS:
        yield Problem(name, f"unknown kind of file (read: {', '.join(EXTENSIONS)})")
        return
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            yield Problem(name, f"{size} bytes; files up to {MAX_FILE_BYTES} bytes are read")
            return
        raw = path.read_bytes()
    except OSError as exc:
        yield Problem(name, f"cannot read it: {describe_os_error(exc)}")
        return
    try:
        text = decode_text(raw)
    except TextProblem as problem:
        yield Problem(name, problem.reason, problem.where)
        return
    if kind == ".txt":
        yield from _blocks(name, text, markdown=False)
    elif kind == ".md":
        yield from _blocks(name, text, markdown=True)
    elif kind == ".jsonl":
        yield from _jsonl(name, text, field)
    elif kind == ".json":
        yield from _json(name, text, field)
    else:
        yield from _table(name, text, column, "\t" if kind == ".tsv" else ",")


_HEADING = re.compile(r"^#{1,6}\s")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _blocks(name: str, text: str, *, markdown: bool) -> Iterator[Passage]:
    """Paragraphs separated by blank lines; in Markdown also at headings, and never inside a code fence."""
    block: list[str] = []
    start = 0
    fenced = False

    def flush() -> Iterator[Passage]:
        body = "\n".join(block).strip()
        if body:
            yield Passage(body, name, line=start)

    for number, line in numbered_lines(text):
        if markdown and _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (not line.strip() or (markdown and _HEADING.match(line))):
            yield from flush()
            block = []
            if not line.strip():
                continue
        if not block:
            start = number
        block.append(line)
    yield from flush()


def _text_of(item: object, field: str) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get(field), str):
        return item[field]
    return None


def _jsonl(name: str, text: str, field: str) -> Iterator[Passage | Problem]:
    for number, line in numbered_lines(text):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield Problem(name, f"not valid JSON ({getattr(exc, 'msg', 'too deeply nested')})", f"line {number}")
            continue
        body = _text_of(item, field)
        if body is None:
            yield Problem(name, f'no string field "{field}" (choose it with --field)', f"line {number}")
        elif not is_unicode(body):
            yield Problem(name, "the text holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text", f"line {number}")
        elif body.strip():
            yield Passage(body.strip(), name, line=number)


def _json(name: str, text: str, field: str) -> Iterator[Passage | Problem]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        yield Problem(name, f"not valid JSON ({getattr(exc, 'msg', 'too deeply nested')})", where)
        return
    if not isinstance(data, list):
        yield Problem(name, "expected a JSON array of objects or strings")
        return
    missing = 0
    for index, item in enumerate(data):
        body = _text_of(item, field)
        if body is None:
            missing += 1
        elif not is_unicode(body):
            yield Problem(name, "the text holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text", f"item {index}")
        elif body.strip():
            yield Passage(body.strip(), name, item=index)
    if missing:
        yield Problem(name, f'{missing} of {len(data)} items have no string field "{field}" (choose it with --field)')


def _table(name: str, text: str, column: str, delimiter: str) -> Iterator[Passage | Problem]:
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, MAX_FILE_BYTES))  # a long cell is a long passage, not the end of the file
    try:
        yield from _rows(name, text, column, delimiter)
    finally:
        csv.field_size_limit(limit)


def _rows(name: str, text: str, column: str, delimiter: str) -> Iterator[Passage | Problem]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = reader.fieldnames or []
        if column not in header:
            shown = ", ".join(header[:8]) or "none"
            yield Problem(name, f'no column "{column}" (the columns are: {shown}; choose one with --column)', "line 1")
            return
        for row in reader:
            body = row.get(column)
            if isinstance(body, str) and body.strip():
                yield Passage(body.strip(), name, line=reader.line_num)
    except csv.Error as exc:
        yield Problem(name, f"not a valid table ({exc})")


def check_inputs(inputs: list[str]) -> None:
    """Refuse a command line with no input at all."""
    if not inputs:
        raise BadInput("batch.no_input")
