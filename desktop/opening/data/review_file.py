"""Review a dataset record by record: accept, reject, edit, pick another candidate, undo.

* A JSONL dataset (what ``opening batch`` writes) is opened by indexing where each line starts (one pass
  over the bytes, no parsing): a 100k-record file opens in a fraction of a second; records are parsed
  when they are shown (:meth:`ReviewFile.record`, cached). A JSON array (what ``opening generate --save``
  and the window's Save write) is parsed once at opening to find where each item is; then it is
  reviewed the same way.
* :meth:`ReviewFile.entries` parses everything once (for sorting and filtering: run it off the GUI
  thread) and keeps a light :class:`Entry` per line.
* Every change rewrites that one record through :meth:`DatasetFile.rewrite
  <opening.data.dataset_file.DatasetFile.rewrite>` (locked, journalled, and only if the file still holds
  the record as it was read: a file changed by something else is never overwritten silently). The record
  is written compactly, so a status change or a small edit fits in its old bytes and is written in place
  (the rest of the file is not moved: a change costs the same at record 1 of 100,000 as at the last);
  a bigger one moves the rest of the file once and leaves room for the next.
* The status and the edits live in the record itself (``status``: ``accepted`` / ``rejected_by_user`` /
  ``edited``; an edit keeps ``chosen`` and the candidates, so the model's pick is still there);
  :meth:`ReviewFile.undo` puts the previous record's exact bytes back.
* A line that is not valid JSON is shown as broken and never rewritten.
* :func:`last_position` / :func:`remember_position` — where the person was in each file.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from opening.base.atomic import atomic_write_text
from opening.base.checks import regular_file
from opening.base.errors import BadInput, describe_os_error
from opening.base.paths import user_dir
from opening.data.dataset_file import DatasetFile, SaveError, dumps_strict
from opening.data.export import row_of

log = logging.getLogger(__name__)

ACCEPTED, REJECTED_BY_USER, EDITED = "accepted", "rejected_by_user", "edited"
BROKEN = "broken"
POSITIONS_FILE = "review_positions.json"


@dataclass(frozen=True)
class Entry:
    """What the table shows for one line."""

    line: int
    """0-based index of the record among the file's non-empty lines."""
    instruction: str
    input: str
    output: str
    nll: float | None
    ifd: float | None
    status: str
    source: str


@dataclass(frozen=True)
class Change:
    index: int
    before: bytes
    """The record's bytes as they were: what undo writes back."""


SLACK = 32
"""Spaces left after a record that had to grow, so that the next status change or small edit fits."""


class ReviewFile:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        suffix = self.path.suffix.lower()
        if suffix not in (".jsonl", ".json"):
            raise BadInput("review.kind", name=self.path.name)
        self.lines = suffix == ".jsonl"
        self.offsets: list[int] = []
        self.ends: list[int] = []
        self._entries: list[Entry] | None = None
        self.undo_stack: list[Change] = []
        self._lock = threading.RLock()
        """Held while offsets are read or moved: a sort on a worker thread parses while a change may write."""
        self._index()
        self._dataset: DatasetFile | None = None

    # -- reading ---------------------------------------------------------------------------------

    def _index(self) -> None:
        """Where every record starts and ends (its bytes, without the newline or the array's comma)."""
        regular_file(self.path, "what.dataset_file")  # a FIFO or a device would block the open forever
        try:
            stat = self.path.stat()
            fh = self.path.open("rb")
        except OSError as exc:
            raise BadInput("path.cannot_open", path=self.path, reason=describe_os_error(exc)) from None
        with fh:
            self.offsets, self.ends = _line_spans(fh) if self.lines else _array_spans(fh.read(), self.path.name)
        self.stamp = _stamp(stat)
        self._read.cache_clear()
        self._entries = None

    def __len__(self) -> int:
        return len(self.offsets)

    def _bytes(self, index: int) -> bytes:
        with self._lock, self.path.open("rb") as fh:
            fh.seek(self.offsets[index])
            return fh.read(self.ends[index] - self.offsets[index])

    @lru_cache(maxsize=4096)  # noqa: B019 (one ReviewFile per open file; cleared on every change)
    def _read(self, index: int) -> dict[str, Any] | None:
        return _parsed(self._bytes(index))

    def record(self, index: int) -> dict[str, Any] | None:
        """The record on line ``index`` (None: a broken line)."""
        return self._read(index)

    def entry(self, index: int) -> Entry:
        if self._entries is not None:
            return self._entries[index]
        return _entry_of(index, self._read(index))

    def entries(self) -> list[Entry]:
        """Every line's :class:`Entry` (parses the whole file once; later calls are free)."""
        with self._lock:
            if self._entries is None:
                self._entries = [_entry_of(i, self._read(i)) for i in range(len(self))]
            return self._entries

    def changed_on_disk(self) -> bool:
        """Something other than this review changed the file since it was read."""
        try:
            stat = self.path.stat()
        except OSError:
            return True
        return _stamp(stat) != self.stamp

    def reload(self) -> None:
        with self._lock:
            self._index()
        self.undo_stack.clear()

    # -- changing --------------------------------------------------------------------------------

    def set_status(self, index: int, status: str) -> dict[str, Any]:
        if status not in (ACCEPTED, REJECTED_BY_USER):
            raise ValueError(status)
        return self._change(index, lambda rec: rec.__setitem__("status", status))

    def edit(self, index: int, instruction: str, extra_input: str = "") -> dict[str, Any]:
        """The person's own instruction (and input) for this record's pair; status ``edited``."""
        if not instruction.strip():
            raise BadInput("review.empty_instruction")

        def apply(rec: dict[str, Any]) -> None:
            pair = _pair_dict(rec)
            pair["instruction"], pair["input"] = instruction, extra_input
            rec["status"] = EDITED

        return self._change(index, apply)

    def pick(self, index: int, candidate: int) -> dict[str, Any]:
        """Make candidate ``candidate`` the record's pair (the person's choice: status ``edited``)."""

        def apply(rec: dict[str, Any]) -> None:
            cands = rec.get("candidates") or []
            if not 0 <= candidate < len(cands) or not str(cands[candidate].get("instruction", "")).strip():
                raise BadInput("review.candidate_empty", k=candidate + 1)
            pair = _pair_dict(rec)
            pair["instruction"] = cands[candidate]["instruction"]
            pair["input"] = cands[candidate].get("input", "")
            rec["status"] = ACCEPTED if candidate == rec.get("chosen") else EDITED

        return self._change(index, apply)

    def undo(self) -> int | None:
        """Put back the record the last change replaced, byte for byte; returns its index (None: nothing to undo)."""
        if not self.undo_stack:
            return None
        change = self.undo_stack[-1]
        with self._lock:
            self._write(change.index, change.before, exact=True)
        self.undo_stack.pop()
        return change.index

    def _change(self, index: int, apply: Any) -> dict[str, Any]:
        with self._lock:
            before = self._read(index)
            if before is None:
                raise BadInput("review.broken_line" if self.lines else "review.broken_record", n=index + 1, name=self.path.name)
            after = copy.deepcopy(before)
            apply(after)
            old = self._bytes(index)
            if _parsed(old) != before:  # rewritten under us, even at the same size and time: never replace it
                raise SaveError("review.changed_on_disk", name=self.path.name)
            self._write(index, dumps_strict(after, compact=True), exact=False)
            self.undo_stack.append(Change(index, old))
            return after

    def _write(self, index: int, new: bytes, *, exact: bool) -> None:
        """Make record ``index`` hold ``new`` (refused when the file changed since it was read). ``exact``:
        these very bytes (undo); else shorter ones are padded in place and longer ones get room to spare."""
        old = self._bytes(index)
        if self.changed_on_disk():
            raise SaveError("review.changed_on_disk", name=self.path.name)
        if self._dataset is None:
            self._dataset = DatasetFile.open(self.path, "jsonl" if self.lines else None)
        length = self._dataset.rewrite(self.offsets[index], old, new, pad=not exact, slack=0 if exact else SLACK)
        delta = length - len(old)
        if delta:
            self.ends[index] += delta
            for j in range(index + 1, len(self.offsets)):
                self.offsets[j] += delta
                self.ends[j] += delta
        self.stamp = _stamp(self.path.stat())
        self._read.cache_clear()
        if self._entries is not None:
            self._entries[index] = _entry_of(index, self._read(index))


def _stamp(stat: os.stat_result) -> tuple[int, ...]:
    """What tells that another program wrote the file: size and mtime, and the change time and inode, which
    ``cp -p`` and ``rsync -t`` cannot set back."""
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def _parsed(raw: bytes) -> dict[str, Any] | None:
    try:
        item = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return item if isinstance(item, dict) else None


def _line_spans(fh: BinaryIO) -> tuple[list[int], list[int]]:
    """Where every non-blank line starts and ends (without its newline, or the CR of a CRLF): one pass."""
    offsets: list[int] = []
    ends: list[int] = []
    pos = 0
    start = 0
    blank = True
    last = b""
    while chunk := fh.read(1 << 20):
        i = 0
        while True:
            j = chunk.find(b"\n", i)
            piece = chunk[i:] if j < 0 else chunk[i:j]
            if piece.strip():
                blank = False
            if j < 0:
                break
            if not blank:
                cr = (chunk[j - 1 : j] if j else last) == b"\r"
                offsets.append(start)
                ends.append(pos + j - cr)
            start = pos + j + 1
            blank = True
            i = j + 1
        pos += len(chunk)
        last = chunk[-1:]
    if not blank:
        offsets.append(start)
        ends.append(pos)
    return offsets, ends


def _array_spans(raw: bytes, name: str) -> tuple[list[int], list[int]]:
    """Where every item of a JSON array starts and ends in ``raw`` (spaces after an item count as its
    room to grow). A file that is not an array of JSON values is refused with where it breaks."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput("review.not_utf8", name=name, at=exc.start) from None
    decoder = json.JSONDecoder()
    offsets: list[int] = []
    ends: list[int] = []
    i = _skip_ws(text, 0)
    if not text.startswith("[", i):
        raise BadInput("review.not_array", name=name)
    i = _skip_ws(text, i + 1)
    done_chars, done_bytes = 0, 0

    def byte_at(char: int) -> int:
        nonlocal done_chars, done_bytes
        done_bytes += len(text[done_chars:char].encode("utf-8"))
        done_chars = char
        return done_bytes

    while not text.startswith("]", i):
        try:
            _, end = decoder.raw_decode(text, i)
        except (ValueError, RecursionError):
            raise BadInput("review.bad_json_at", name=name, at=byte_at(i)) from None
        offsets.append(byte_at(i))
        while end < len(text) and text[end] == " ":
            end += 1
        ends.append(byte_at(end))
        i = _skip_ws(text, end)
        if text.startswith(",", i):
            i = _skip_ws(text, i + 1)
        elif not text.startswith("]", i):
            raise BadInput("review.bad_json_at", name=name, at=byte_at(min(i, len(text))))
    return offsets, ends


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _pair_dict(rec: dict[str, Any]) -> dict[str, Any]:
    """The record's pair, made from its output when it has none (a passage with no pick)."""
    pair = rec.get("pair")
    if isinstance(pair, dict):
        return pair
    if "pair" in rec or "candidates" in rec:  # a batch record without a pair keeps its text in "text"
        output = rec.get("text")
        if not isinstance(output, str) or not output:
            raise BadInput("review.no_text")
        rec["pair"] = {"instruction": "", "input": "", "output": output}
        return rec["pair"]
    return rec  # a pair record: instruction / input / output at the top level


def _entry_of(index: int, item: dict[str, Any] | None) -> Entry:
    if item is None:
        return Entry(index, "", "", "", None, None, BROKEN, "")
    row = row_of(item)
    if row is None:
        return Entry(index, "", "", "", None, None, str(item.get("status", "")), "")
    output = row.output or str(item.get("text") or "")  # a passage with no pair keeps its text
    return Entry(index, row.instruction, row.input, output, row.nll, row.ifd, row.status, row.source)


def _positions_path() -> Path:
    return user_dir() / POSITIONS_FILE


def last_position(path: Path) -> int:
    try:
        data = json.loads(_positions_path().read_text(encoding="utf-8"))
        value = data.get(str(Path(path).resolve()), 0)
        return int(value) if isinstance(value, int) else 0
    except (OSError, ValueError, AttributeError):
        return 0


def remember_position(path: Path, index: int) -> None:
    """Remember where the person was in ``path`` (best effort: a failure is logged, not raised)."""
    target = _positions_path()
    try:
        data = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
        if not isinstance(data, dict):
            data = {}
        data[str(Path(path).resolve())] = index
        os.makedirs(target.parent, exist_ok=True)
        atomic_write_text(target, json.dumps(data, ensure_ascii=False))
    except (OSError, ValueError) as exc:
        log.warning("could not remember the review position: %s", exc)


@dataclass(frozen=True)
class ViewSpec:
    """Which lines the table shows, and in what order."""

    status: str | None = None
    source: str | None = None
    """A source *file* (the part before ``:line``)."""
    unhelpful_only: bool = False
    """Only pairs whose IFD is 1 or more (the instruction does not help predict the text)."""
    search: str = ""
    sort_by: str | None = None
    """An :class:`Entry` field; None: file order."""
    descending: bool = False


def source_file(source: str) -> str:
    return source.rsplit(":", 1)[0] if ":" in source else source


def select(entries: list[Entry], spec: ViewSpec) -> list[int]:
    """The line indexes to show (filters, then the sort; a missing score sorts last)."""
    needle = spec.search.casefold().strip()
    chosen = [
        e.line
        for e in entries
        if (spec.status is None or e.status == spec.status)
        and (spec.source is None or source_file(e.source) == spec.source)
        and (not spec.unhelpful_only or (e.ifd is not None and e.ifd >= 1.0))
        and (not needle or needle in e.instruction.casefold() or needle in e.input.casefold() or needle in e.output.casefold())
    ]
    if spec.sort_by:
        field_name = spec.sort_by

        def key(line: int) -> tuple[int, Any]:
            value = getattr(entries[line], field_name)
            if value is None:
                return (1, 0)
            return (0, value.casefold() if isinstance(value, str) else value)

        present = [i for i in chosen if getattr(entries[i], field_name) is not None]
        missing = [i for i in chosen if getattr(entries[i], field_name) is None]
        chosen = sorted(present, key=key, reverse=spec.descending) + missing
    return chosen
