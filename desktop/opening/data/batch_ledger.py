"""The batch output file as a ledger: one JSONL record per passage, each with its key, written exactly once.

A passage's key is the SHA-256 of its text, the model's SHA-256 and the settings that change the result
(:func:`passage_key`); every record carries those settings (``config``). Opening the ledger reads the
keys already written, so a run started again skips them; if the file was written with other settings
it is refused with the differences named (start over with ``--restart``, which moves the old file aside,
or write elsewhere with ``--out``). Appends go through :class:`~opening.data.dataset_file.DatasetFile`
(locked, journalled, one write per record), so a killed run never leaves a torn or doubled record.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opening.base.checks import new_or_regular_file, writable_folder
from opening.base.errors import BadInput, describe_os_error
from opening.base.messages import Message
from opening.data.dataset_file import DatasetFile, loads_strict

log = logging.getLogger(__name__)


def passage_key(text: str, config: dict[str, Any]) -> str:
    """SHA-256 of the passage and the settings that change its result (model SHA-256 among them)."""
    blob = json.dumps({"text": text, "config": config}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def config_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``name: old → new`` for every setting that differs."""
    keys = sorted(set(old) | set(new))
    return [f"{k}: {old.get(k)!r} → {new.get(k)!r}" for k in keys if old.get(k) != new.get(k)]


def earlier_run(path: str | Path) -> tuple[dict[str, Any] | None, int]:
    """The settings of the run already in ``path`` (None when there is none yet) and its record count,
    in one read."""
    path = Path(path)
    st = new_or_regular_file(path, "what.output")  # an over-long or special name is a message, not a crash
    if st is None or st.st_size == 0:
        return None, 0
    items = DatasetFile.open(path, "jsonl").items()
    config = items[0].get("config") if items and isinstance(items[0], dict) else None
    return (config if isinstance(config, dict) else None), len(items)


def earlier_config(path: str | Path) -> dict[str, Any] | None:
    """The settings of the run already in ``path`` (None when there is none yet)."""
    return earlier_run(path)[0]


def _move_to_new_name(path: Path, aside: Path) -> None:
    """Rename ``path`` to ``aside`` only if ``aside`` is not taken (FileExistsError otherwise): the name is
    reserved first (an empty file or folder, made exclusively), then replaced by the rename."""
    if os.name == "nt":
        os.rename(path, aside)  # never replaces an existing name there
        return
    if path.is_dir():
        aside.mkdir()
    else:
        os.close(os.open(aside, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        os.replace(path, aside)
    except OSError:
        (aside.rmdir if aside.is_dir() else aside.unlink)()
        raise


def move_aside(path: Path) -> Path | None:
    """``--restart``: the earlier run (a file or a folder of shards) renamed ``NAME.before-TIME[-N]``, never
    deleted and never over another such name (two restarts in one second get -2, -3 …). None: it is gone
    already (another run moved it aside first)."""
    stamp = f"{_dt.datetime.now():%Y%m%d-%H%M%S}"
    for n in range(1, 1000):
        aside = path.with_name(f"{path.stem}.before-{stamp}{'' if n == 1 else f'-{n}'}{path.suffix}")
        try:
            _move_to_new_name(path, aside)
        except FileExistsError:
            continue
        except FileNotFoundError:
            if not path.exists():
                return None
            raise BadInput("batch.cannot_move_aside", path=path, reason="no such file or folder") from None
        except OSError as exc:
            raise BadInput("batch.cannot_move_aside", path=path, reason=describe_os_error(exc)) from None
        log.warning("moved the earlier run aside: %s", aside)
        return aside
    raise BadInput("batch.cannot_move_aside", path=path, reason="999 earlier runs were moved aside this second")


@dataclass
class Ledger:
    path: Path
    config: dict[str, Any]
    done: set[str] = field(default_factory=set)
    """Keys already in the file."""
    counts: dict[str, int] = field(default_factory=dict)
    """Records already in the file, by status."""
    file: DatasetFile | None = None
    seen: int = 0
    """Bytes of the file read so far (whole lines): what other processes append after them is read
    under the lock before each write."""
    lines: int = 0

    @classmethod
    def open(cls, path: str | Path, config: dict[str, Any], *, restart: bool = False) -> Ledger:
        path = Path(path)
        if path.suffix.lower() != ".jsonl":
            raise BadInput("batch.out_not_jsonl", name=path.name)
        if restart and path.exists():
            move_aside(path)
        file = DatasetFile.open(path, "jsonl")
        writable_folder(file.path.parent)  # a read-only folder is said before the model loads, not after a passage
        ledger = cls(path, config, file=file)
        if path.exists():
            ledger._take(file.read_from(0))
        return ledger

    def _take(self, new: bytes, *, other_run: bool = False) -> None:
        """Count the whole lines of ``new`` (the file from ``seen`` on): their keys are done. A record with
        other settings is refused (``other_run``: one another process is writing now)."""
        end = new.rfind(b"\n") + 1  # an unterminated last line is read when it is whole
        for raw in new[:end].split(b"\n"):
            self.lines += 1
            if not raw.strip():
                continue
            item = loads_strict(raw, Message("dataset.line_n", {"path": self.path, "n": self.lines}))
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                raise BadInput("batch.not_a_batch", path=self.path, line=self.lines)
            old = item.get("config")
            if isinstance(old, dict) and old != self.config:
                diffs = "; ".join(config_differences(old, self.config))
                raise BadInput("batch.other_run" if other_run else "batch.other_settings", path=self.path, diffs=diffs)
            if item["key"] in self.done:
                continue  # written twice by an older version: counted once
            self.done.add(item["key"])
            status = str(item.get("status", ""))
            self.counts[status] = self.counts.get(status, 0) + 1
        self.lines -= 1  # the part after the last newline is not a line yet
        self.seen += end

    def _written_meanwhile(self, key: str) -> bool:
        """Under the lock: read what other processes appended since, and say if ``key`` is among it."""
        assert self.file is not None
        self._take(self.file.read_from(self.seen, lock=False), other_run=True)
        return key in self.done

    def write(self, record: dict[str, Any]) -> bool:
        """Append one record, unless its key is in the file already (another process running the same
        corpus into this file wrote it meanwhile: False, nothing written). Each key is written once."""
        assert self.file is not None
        key = record["key"]
        if key in self.done:
            return False
        placed = self.file.append_unless(record, lambda: self._written_meanwhile(key))
        if placed is None:
            return False
        self.seen = placed.offset + len(placed.written)
        self.lines += 1 + placed.lead.count(b"\n")
        self.done.add(key)
        status = str(record.get("status", ""))
        self.counts[status] = self.counts.get(status, 0) + 1
        return True
