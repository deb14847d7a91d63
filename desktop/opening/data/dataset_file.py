"""A dataset file on the user's disk: append, replace or remove one pair without rewriting the rest.

Every change is a *splice* at the end of the file (an append: a few bytes at the closing bracket, or
after the last line) or at the place of a pair this app wrote (a replace or remove), done so that
nothing is ever lost:

* **One writer at a time.** An inter-process lock (``.NAME.lock`` beside the file, ``filelock``) is held
  around every read-modify-write: two windows, or a window and a script, never lose each other's pairs.
* **Crash-safe.** Before the file is touched, the bytes from the splice point to its end are saved in a
  journal (``.NAME.journal``, written whole under a temporary name and fsynced). Then the new bytes are
  written (one ``pwrite``), the file truncated and fsynced, and the journal deleted. A process killed at
  any moment — or a full disk, or a power cut — leaves either the old file, the new one, or a torn end
  *with* the journal; every open, read and save here first puts the old end back from it. (A program
  that reads the file directly in that moment, before OpenING touches it again, can see the torn end:
  the price of not rewriting the whole file. A rename-based rewrite never showed it, and cost 1.9 s and
  500 MB per pair on a 200 MB dataset.)
* **Cost independent of the file's size.** Only the end of the file (or the pair and what follows it)
  is read and written: the rest of a 200 MB dataset is never read.
* **Never a foreign file.** Before the first change, the file is checked at its head and tail: a JSON
  array whose first item is a pair of a known format and whose last item is an object, or JSON Lines
  whose first and last lines are objects; strict JSON (no NaN/Infinity, no lone surrogates). Anything
  else is refused with the reason and left as it is. (The middle is not re-read; it is never rewritten.)
* **Symlinks are followed**: the target changes, the link stays.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from opening.base.atomic import atomic_write_bytes, fsync_dir
from opening.base.checks import new_or_regular_file
from opening.base.errors import OpeningError, describe_os_error
from opening.base.messages import Message
from opening.data.records import FORMATS, PairRecord, detect_format

log = logging.getLogger(__name__)
LOCK_TIMEOUT_S = 60.0
_WS = b" \t\r\n"
_HEAD_MAX = 64 * 1024 * 1024
"""The first (or last) pair is read to check the file; a bigger one is refused rather than read whole."""


class SaveError(OpeningError):
    """The pair could not be saved; the file on disk is unchanged."""


def format_for(path: Path, requested: str | None = None) -> str:
    if requested:
        if requested not in FORMATS:
            raise SaveError("save.unknown_format", fmt=requested, known=", ".join(FORMATS))
        return requested
    return "jsonl" if path.suffix.lower() == ".jsonl" else "demo"


def dumps_strict(item: Any, *, compact: bool = False) -> bytes:
    """One JSON value as UTF-8 (Chinese kept as characters); NaN, Infinity and lone surrogates refused.
    ``compact``: no spaces after ``,`` and ``:`` (how a reviewed record fits in its old bytes)."""
    try:
        separators = (",", ":") if compact else None
        return json.dumps(item, ensure_ascii=False, allow_nan=False, separators=separators).encode("utf-8")
    except (ValueError, UnicodeEncodeError) as exc:
        raise SaveError("save.not_strict_json", detail=str(exc)) from None


def loads_strict(raw: bytes | str, where: str | Message) -> Any:
    """Parse JSON the way other tools will: refuse NaN/Infinity, lone surrogates, absurd nesting or digits."""

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    try:
        value = json.loads(raw, parse_constant=constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # lone surrogates cannot round-trip
    except RecursionError:
        raise SaveError("dataset.too_deep", where=where) from None
    except UnicodeError:
        raise SaveError("dataset.bad_unicode", where=where) from None
    except ValueError as exc:
        raise SaveError("dataset.not_json", where=where, detail=str(exc)[:120]) from None
    return value


@dataclass(frozen=True)
class Placed:
    """Where a pair this app wrote sits: the splice offset and the exact bytes written there."""

    offset: int
    lead: bytes
    """The separator before the pair (``,\\n`` in an array, a newline added to an unterminated line)."""
    item: bytes
    """The pair's own bytes (one JSON object; in JSON Lines with its newline)."""

    @property
    def written(self) -> bytes:
        return self.lead + self.item


def _utf8_prefix(raw: bytes, where: str) -> str:
    """``raw`` decoded (a character cut at the end of a block is dropped); refuse NUL bytes and non-UTF-8."""
    if b"\x00" in raw:
        raise SaveError("dataset.nul", where=where)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 3:
            raise SaveError("dataset.not_utf8", where=where) from None
        return raw[: exc.start].decode("utf-8", errors="strict")


def _sidecar(path: Path, suffix: str) -> Path:
    name = f".{path.name}.{suffix}"
    if len(name.encode("utf-8")) > 200:  # keep within the 255-byte limit of a file name
        digest = hashlib.sha256(path.name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        name = f".{path.name[:100]}-{digest}.{suffix}"
    return path.with_name(name)


@dataclass
class DatasetFile:
    path: Path
    fmt: str

    @classmethod
    def open(cls, path: str | Path, fmt: str | None = None) -> DatasetFile:
        """Check the target now (a regular file or a new name in an existing folder; a dataset of a
        compatible format); later saves re-check under the lock."""
        path = Path(path).expanduser()
        exists = new_or_regular_file(path, "what.dataset_file", SaveError) is not None
        if path.is_symlink():
            path = path.resolve()  # write through the link, never replace it
        chosen = format_for(path, fmt)
        dataset = cls(path, chosen)
        if exists:
            if _sidecar(path, "journal").exists():
                with dataset._locked(reading=True):  # an interrupted save is undone first
                    found = dataset._check_shape()
            else:  # no lock file is made beside a file that may turn out not to be a dataset
                try:
                    found = dataset._check_shape()
                except SaveError:
                    found = dataset._check_again_locked()
            if chosen != "jsonl":
                if found is not None and fmt is None:
                    dataset.fmt = found  # keep the file's own format
                elif found is not None and found != chosen:
                    raise SaveError("dataset.other_format", path=path, found=found, chosen=chosen)
        return dataset

    @staticmethod
    def finish_interrupted(path: Path) -> None:
        """If a save of ``path`` was interrupted (its journal is there), put its old end back now, under the
        lock: for readers that read the file directly (an export). Nothing is done otherwise."""
        path = Path(path).resolve()  # a link's journal is beside its target
        if _sidecar(path, "journal").exists():
            with DatasetFile(path, "jsonl")._locked(reading=True):
                pass

    def _check_again_locked(self) -> str | None:
        """The unlocked check failed: another process may have been in the middle of a change, its end
        of the file torn for a moment (CI caught one such open in tests/test_concurrency.py). Look again
        under the lock before refusing; a lock file made only for this is removed when the file is
        refused."""
        lock_file = _sidecar(self.path, "lock")
        had_lock = lock_file.exists()
        try:
            with self._locked(reading=True):
                return self._check_shape()
        except SaveError:
            if not had_lock:
                lock_file.unlink(missing_ok=True)
            raise

    # -- the lock and the journal -------------------------------------------------------------------

    @contextmanager
    def _locked(self, *, reading: bool = False) -> Iterator[None]:
        """Hold the lock (and first finish any interrupted change). ``reading``: a folder where no lock
        can be made (read-only) is read without one, and so is a file that no writer of ours has touched
        (no lock file, no journal): a read never leaves a lock file beside a file that is only read."""
        lock_file = _sidecar(self.path, "lock")
        if reading and not lock_file.exists() and not _sidecar(self.path, "journal").exists():
            yield  # no writer of ours has touched it: read without leaving a lock file beside a user's file
            return
        lock = FileLock(str(lock_file), timeout=LOCK_TIMEOUT_S)
        try:
            lock.acquire()
        except Timeout:
            raise SaveError("dataset.locked", path=self.path, seconds=LOCK_TIMEOUT_S) from None
        except OSError as exc:
            if reading:
                yield
                return
            raise SaveError("dataset.cannot_save", path=self.path, reason=describe_os_error(exc)) from None
        try:
            self._recover()
            yield
        finally:
            lock.release()

    def _recover(self) -> None:
        """Put back the end of a file whose last change was interrupted (the journal says what it was)."""
        journal = _sidecar(self.path, "journal")
        try:
            raw = journal.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise SaveError("dataset.journal_unreadable", path=journal, reason=describe_os_error(exc)) from None
        try:
            entry = json.loads(raw)
            size, offset, tail = int(entry["size"]), int(entry["offset"]), base64.b64decode(entry["tail"])
            created = bool(entry.get("created"))
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring an unreadable journal %s", journal)
            journal.unlink(missing_ok=True)
            return
        try:
            if created:
                self.path.unlink(missing_ok=True)
            else:
                with self.path.open("r+b") as fh:
                    fh.seek(offset)
                    fh.write(tail)
                    fh.truncate(size)
                    fh.flush()
                    os.fsync(fh.fileno())
            journal.unlink()
            fsync_dir(self.path.parent)
        except OSError as exc:
            raise SaveError("dataset.cannot_restore", path=self.path, reason=describe_os_error(exc)) from None
        log.warning("restored the end of %s after an interrupted save", self.path)

    def _splice(self, offset: int, new: bytes, *, in_place: bool = False) -> None:
        """Replace the bytes from ``offset`` to the end with ``new``, journalled (the caller holds the lock).
        ``in_place``: replace only ``len(new)`` bytes there (the file keeps its size; nothing after moves)."""
        journal = _sidecar(self.path, "journal")
        created = not self.path.exists()
        try:
            fh = self.path.open("x+b" if created else "r+b")
        except OSError as exc:
            raise SaveError("dataset.cannot_save", path=self.path, reason=describe_os_error(exc)) from None
        with fh:
            size = os.fstat(fh.fileno()).st_size
            fh.seek(offset)
            old = fh.read(len(new)) if in_place else fh.read()
            try:
                entry = {"size": size, "offset": offset, "tail": base64.b64encode(old).decode("ascii"), "created": created}
                atomic_write_bytes(journal, json.dumps(entry).encode("ascii"))
            except OSError as exc:
                fh.close()
                if created:
                    self.path.unlink(missing_ok=True)
                raise SaveError("dataset.cannot_save", path=self.path, reason=describe_os_error(exc)) from None
            try:
                fd = fh.fileno()
                done = 0
                while done < len(new):  # one pwrite unless the kernel writes less (a full disk)
                    done += os.pwrite(fd, new[done:], offset + done)
                if not in_place:
                    os.ftruncate(fd, offset + len(new))
                os.fsync(fd)
            except OSError as exc:
                reason = describe_os_error(exc)
                self._undo_in_place(fh, offset, old, size, in_place=in_place)
                raise SaveError("dataset.cannot_save", path=self.path, reason=reason) from None
        if created:
            fsync_dir(self.path.parent)
        journal.unlink()

    def _undo_in_place(self, fh: Any, offset: int, old: bytes, size: int, *, in_place: bool = False) -> None:
        try:  # shrinking first frees the space the old end needs
            if not in_place:
                fh.truncate(offset)
            fh.seek(offset)
            fh.write(old)
            fh.truncate(size)
            fh.flush()
            os.fsync(fh.fileno())
            _sidecar(self.path, "journal").unlink()
        except OSError:
            log.warning("could not undo a failed save of %s now; the next save will", self.path)

    # -- reading the ends -----------------------------------------------------------------------------

    def _read_at(self, offset: int, n: int) -> bytes:
        if n <= 0:
            return b""
        try:
            with self.path.open("rb") as fh:
                fh.seek(offset)
                return fh.read(n)
        except OSError as exc:
            raise SaveError("path.cannot_read", path=self.path, reason=describe_os_error(exc)) from None

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise SaveError("path.cannot_read", path=self.path, reason=describe_os_error(exc)) from None

    def _tail(self, limit: int = 4096) -> tuple[int, bytes]:
        size = self._size()
        start = max(0, size - limit)
        return start, self._read_at(start, size - start)

    def _check_shape(self) -> str | None:
        """Check the head and tail (see the module's docstring); return the array's format (None: empty or JSONL)."""
        if self._size() == 0:
            return None
        head = self._read_at(0, 1 << 16)
        _utf8_prefix(head, str(self.path))
        if head.startswith(b"\xef\xbb\xbf"):
            raise SaveError("dataset.bom", path=self.path)
        if self.fmt == "jsonl":
            self._check_jsonl()
            return None
        return self._check_array()

    def _edge_line(self, last: bool) -> bytes:
        """The first (or last non-blank) line, read in blocks that grow from 64 KB (a long line is not
        a reason to read the whole file)."""
        size, block = self._size(), 1 << 16
        while True:
            if last:
                start = max(0, size - block)
                chunk = self._read_at(start, size - start).rstrip(_WS)
                complete = start == 0 or b"\n" in chunk
                line = chunk.rsplit(b"\n", 1)[-1]
            else:
                chunk = self._read_at(0, block)
                complete = b"\n" in chunk or len(chunk) < block
                line = chunk.split(b"\n", 1)[0]
            if complete:
                return line
            if block >= _HEAD_MAX:
                raise SaveError("dataset.long_line", path=self.path, mb=_HEAD_MAX >> 20)
            block *= 4

    def _check_jsonl(self) -> None:
        first, last = self._edge_line(last=False), self._edge_line(last=True)
        for which, line in (("dataset.first_line", first), ("dataset.last_line", last)):
            where = Message(which, {"path": self.path})
            if line.strip(_WS) and not isinstance(loads_strict(line, where), dict):
                raise SaveError("dataset.line_not_object", where=where)

    def _check_array(self) -> str | None:
        where = str(self.path)
        head = self._read_at(0, 1 << 20)
        body = head.lstrip(_WS)
        if not body.startswith(b"["):
            if len(head) < (1 << 20):
                loads_strict(head, where)  # a small file that is not JSON at all says so
            raise SaveError("dataset.not_pairs", where=where)
        _, tail = self._tail()
        end = tail.rstrip(_WS)
        if not end.endswith(b"]"):
            raise SaveError("dataset.no_end", where=where)
        before = end[:-1].rstrip(_WS)
        if body[1:].lstrip(_WS).startswith(b"]"):
            return None  # an empty array
        if not before.endswith(b"}"):
            raise SaveError("dataset.last_not_object", where=where)
        first = self._first_item(where)
        found = detect_format([first])
        if found is None:
            raise SaveError("dataset.not_pairs", where=where)
        return found

    def _first_item(self, where: str) -> Any:
        """The array's first item, read in growing blocks (never the whole file)."""
        decoder = json.JSONDecoder()
        size = 1 << 20
        while True:
            raw = self._read_at(0, size)
            text = _utf8_prefix(raw.lstrip(_WS)[1:].lstrip(_WS), where)
            try:
                item, consumed = decoder.raw_decode(text)
            except RecursionError:
                raise SaveError("dataset.too_deep", where=where) from None
            except ValueError:
                if len(raw) < size or size >= _HEAD_MAX:
                    raise SaveError("dataset.first_bad", where=where) from None
                size *= 4
                continue
            return loads_strict(text[:consumed], where)

    # -- changes --------------------------------------------------------------------------------------

    def _item_bytes(self, record: PairRecord | dict[str, Any]) -> bytes:
        return dumps_strict(record if isinstance(record, dict) else record.to_format(self.fmt))

    def append(self, record: PairRecord | dict[str, Any]) -> Placed:
        """Add the pair (or a ready record, as batch mode writes) at the end; returns where it went (for
        :meth:`replace` and :meth:`remove`)."""
        placed = self.append_unless(record, lambda: False)
        assert placed is not None
        return placed

    def append_unless(self, record: PairRecord | dict[str, Any], unless: Callable[[], bool]) -> Placed | None:
        """:meth:`append`, but ``unless`` is asked first, under the lock (after any interrupted change is
        undone): True writes nothing and returns None. A batch ledger reads there what other processes
        appended since it last looked, and skips a key one of them already wrote."""
        item = self._item_bytes(record)
        with self._locked():
            if unless():
                return None
            self._check_shape()
            if self.fmt == "jsonl":
                size = self._size()
                ends_open = size > 0 and self._read_at(size - 1, 1) != b"\n"
                placed = Placed(size, b"\n" if ends_open else b"", item + b"\n")
                self._splice(placed.offset, placed.written)
            else:
                start, tail = self._tail()
                if start == 0 and not tail.strip(_WS):  # a new or empty file
                    placed = Placed(1, b"\n", item)
                    self._splice(0, b"[" + placed.written + b"\n]\n")
                else:
                    end = tail.rstrip(_WS)[:-1].rstrip(_WS)  # up to the last item's '}' or the '['
                    offset = start + len(end)
                    placed = Placed(offset, b"\n" if end.endswith(b"[") else b",\n", item)
                    self._splice(offset, placed.written + b"\n]\n")
        log.info("saved a pair to %s", self.path)
        return placed

    def _locate(self, placed: Placed) -> Placed:
        """Where the pair of ``placed`` is now (other saves may have moved it) and what precedes it."""
        at = placed.offset + len(placed.lead)
        if self._read_at(at, len(placed.item)) != placed.item:
            data = self._read_at(0, self._size())
            at = data.find(placed.item)
            if at < 0 or data.find(placed.item, at + 1) >= 0:
                raise SaveError("dataset.pair_changed", path=self.path)
        before = self._read_at(max(0, at - 4096), min(at, 4096))
        if self.fmt == "jsonl":
            lead = b"" if not before or before.endswith(b"\n") else b"\n"
            return Placed(at - len(lead), lead, placed.item)
        j = len(before.rstrip(_WS))
        if before[:j].endswith(b","):
            j = len(before[: j - 1].rstrip(_WS))
        return Placed(at - (len(before) - j), before[j:], placed.item)

    def replace(self, placed: Placed, record: PairRecord | dict[str, Any]) -> Placed:
        """Make the pair of ``placed`` (only if the file still holds it as written) ``record``."""
        item = self._item_bytes(record) + (b"\n" if self.fmt == "jsonl" else b"")
        with self._locked():
            now = self._locate(placed)
            after = self._read_at(now.offset + len(now.written), self._size())
            moved = Placed(now.offset, now.lead, item)
            self._splice(now.offset, moved.written + after)
        return moved

    def rewrite(self, offset: int, old: bytes, new: bytes, *, pad: bool = True, slack: int = 0) -> int:
        """Make the item whose bytes ``old`` start at ``offset`` hold ``new`` (only if the file still holds
        ``old`` there: a file changed by something else is not touched). When ``new`` fits in ``old``'s
        bytes (``pad``: a shorter one is followed by spaces, which JSON ignores) it is written in place:
        the rest of the file is neither read nor moved, whatever its size. Otherwise the rest moves, and
        ``slack`` spaces follow ``new`` so that the next small change fits. Returns the item's new length."""
        with self._locked():
            if self._read_at(offset, len(old)) != old:
                raise SaveError("dataset.record_changed", path=self.path)
            if len(new) == len(old) or (pad and len(new) < len(old)):
                self._splice(offset, new.ljust(len(old)), in_place=True)
                return len(old)
            grown = new + b" " * slack
            after = self._read_at(offset + len(old), self._size() - offset - len(old))
            self._splice(offset, grown + after)
            return len(grown)

    def remove(self, placed: Placed) -> None:
        """Delete the pair of ``placed`` (checked as in :meth:`replace`)."""
        with self._locked():
            now = self._locate(placed)
            after = self._read_at(now.offset + len(now.written), self._size())
            rest = after.lstrip(_WS)
            if self.fmt == "jsonl":
                new = now.lead + after
            elif b"," not in now.lead and rest.startswith(b","):  # it was the first item: drop the next comma
                new = now.lead + rest[1:].lstrip(_WS)
            else:
                new = after
            self._splice(now.offset, new)

    def read_from(self, offset: int, *, lock: bool = True) -> bytes:
        """The file's bytes from ``offset`` to its end, after any interrupted change is undone. ``lock``
        False: the caller holds the lock already (inside ``unless``)."""
        if not lock:
            return self._read_at(offset, self._size() - offset)
        with self._locked(reading=True):
            return self._read_at(offset, self._size() - offset)

    # -- whole-file reads (tests, small files) -------------------------------------------------------

    def items(self) -> list[Any]:
        """Every pair in the file (reads and parses the whole file, after any interrupted change is undone)."""
        with self._locked(reading=True):
            raw = self._read_at(0, self._size())
        if not raw.strip(_WS):
            return []
        if self.fmt == "jsonl":
            return [
                loads_strict(line, Message("dataset.line_n", {"path": self.path, "n": n}))
                for n, line in enumerate(raw.split(b"\n"), 1)
                if line.strip(_WS)
            ]
        data = loads_strict(raw, str(self.path))
        if not isinstance(data, list):
            raise SaveError("dataset.not_pairs_plain", path=self.path)
        return data

    def count(self) -> int:
        return len(self.items())
