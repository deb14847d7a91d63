"""A dataset file on the user's disk: append, replace or remove a pair without ever half-writing it.

Every change writes the whole new file to a temporary file in the same folder, fsyncs it and renames
it over the old one (``atomicio``): a process killed at any moment leaves the old file or the new one,
both valid. A file that exists but is not a dataset this app understands is never touched.
"""

from __future__ import annotations

import errno
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomicio import atomic_write_text
from .errors import OpeningError
from .records import FORMATS, PairRecord, detect_format

log = logging.getLogger(__name__)


class SaveError(OpeningError):
    """The pair could not be saved; the file on disk is unchanged."""


def format_for(path: Path, requested: str | None = None) -> str:
    if requested:
        if requested not in FORMATS:
            raise SaveError(f"unknown dataset format '{requested}' (choose one of {', '.join(FORMATS)})")
        return requested
    return "jsonl" if path.suffix.lower() == ".jsonl" else "demo"


def _describe_os_error(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EROFS,):
        return "the folder is on a read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)


@dataclass
class DatasetFile:
    path: Path
    fmt: str

    @classmethod
    def open(cls, path: str | Path, fmt: str | None = None) -> "DatasetFile":
        """Check the target now (folder exists, file is a dataset of a compatible format)."""
        path = Path(path).expanduser()
        if path.is_dir():
            raise SaveError(f"{path} is a folder; give a file name such as {path / 'pairs.json'}")
        if not path.parent.is_dir():
            raise SaveError(f"cannot save to {path}: the folder {path.parent} does not exist")
        chosen = format_for(path, fmt)
        dataset = cls(path, chosen)
        if path.exists():
            existing = dataset._read_items()
            if chosen != "jsonl":
                found = detect_format(existing)
                if found is not None and fmt is None:
                    dataset.fmt = found  # keep the file's own format
                elif found is not None and found != chosen:
                    raise SaveError(f"{path} holds {found}-format pairs; not adding {chosen}-format ones")
        return dataset

    def _read_items(self) -> list[Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise SaveError(f"cannot read {self.path}: {_describe_os_error(exc)}") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SaveError(f"{self.path} is not a UTF-8 text file; not touching it") from None
        if self.fmt == "jsonl":
            items = []
            for n, line in enumerate(text.splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    items.append(json.loads(line))
                except ValueError:
                    raise SaveError(f"{self.path} line {n} is not valid JSON; not touching the file") from None
            return items
        if not text.strip():
            return []
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SaveError(f"{self.path} is not valid JSON ({exc.msg} at line {exc.lineno}); not touching it") from None
        if not isinstance(data, list):
            raise SaveError(f"{self.path} is JSON but not a list of pairs; not touching it")
        return data

    def _write_items(self, items: list[Any]) -> None:
        if self.fmt == "jsonl":
            text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
        else:
            text = json.dumps(items, ensure_ascii=False, indent=1) + "\n"
        try:
            atomic_write_text(self.path, text)
        except OSError as exc:
            raise SaveError(f"could not save to {self.path}: {_describe_os_error(exc)}; the file was not changed") from None

    def count(self) -> int:
        return len(self._read_items())

    def append(self, record: PairRecord) -> int:
        """Add the pair; return its position in the file."""
        items = self._read_items()
        items.append(record.to_format(self.fmt))
        self._write_items(items)
        log.info("saved pair %d to %s", len(items), self.path)
        return len(items) - 1

    def _item_at(self, items: list[Any], position: int, expected: PairRecord | None) -> None:
        if not 0 <= position < len(items):
            raise SaveError(f"{self.path} has no pair {position + 1} (it holds {len(items)}); not touching it")
        if expected is not None and items[position] != expected.to_format(self.fmt):
            raise SaveError(
                f"pair {position + 1} of {self.path} was changed by something else since it was saved;"
                " not touching it"
            )

    def replace(self, position: int, record: PairRecord, *, expected: PairRecord | None = None) -> int:
        """Put ``record`` at ``position``; with ``expected``, only if that pair is still what was saved.
        Returns how many pairs the file holds."""
        items = self._read_items()
        self._item_at(items, position, expected)
        items[position] = record.to_format(self.fmt)
        self._write_items(items)
        return len(items)

    def remove(self, position: int, *, expected: PairRecord | None = None) -> int:
        """Delete the pair at ``position`` (checked as in :meth:`replace`); returns how many are left."""
        items = self._read_items()
        self._item_at(items, position, expected)
        del items[position]
        self._write_items(items)
        return len(items)
