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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opening.base.errors import BadInput, describe_os_error
from opening.data.dataset_file import DatasetFile

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
    if not path.is_file() or path.stat().st_size == 0:
        return None, 0
    items = DatasetFile.open(path, "jsonl").items()
    config = items[0].get("config") if items and isinstance(items[0], dict) else None
    return (config if isinstance(config, dict) else None), len(items)


def earlier_config(path: str | Path) -> dict[str, Any] | None:
    """The settings of the run already in ``path`` (None when there is none yet)."""
    return earlier_run(path)[0]


def move_aside(path: Path) -> Path:
    """``--restart``: the earlier run (a file or a folder of shards) renamed ``NAME.before-TIME``, never deleted."""
    aside = path.with_name(f"{path.stem}.before-{_dt.datetime.now():%Y%m%d-%H%M%S}{path.suffix}")
    try:
        path.rename(aside)
    except OSError as exc:
        raise BadInput("batch.cannot_move_aside", path=path, reason=describe_os_error(exc)) from None
    log.warning("moved the earlier run aside: %s", aside)
    return aside


@dataclass
class Ledger:
    path: Path
    config: dict[str, Any]
    done: set[str] = field(default_factory=set)
    """Keys already in the file."""
    counts: dict[str, int] = field(default_factory=dict)
    """Records already in the file, by status."""
    file: DatasetFile | None = None

    @classmethod
    def open(cls, path: str | Path, config: dict[str, Any], *, restart: bool = False) -> Ledger:
        path = Path(path)
        if path.suffix.lower() != ".jsonl":
            raise BadInput("batch.out_not_jsonl", name=path.name)
        if restart and path.exists():
            move_aside(path)
        file = DatasetFile.open(path, "jsonl")
        ledger = cls(path, config, file=file)
        if path.exists():
            ledger._read()
        return ledger

    def _read(self) -> None:
        assert self.file is not None
        for n, item in enumerate(self.file.items(), 1):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                raise BadInput("batch.not_a_batch", path=self.path, line=n)
            old = item.get("config")
            if isinstance(old, dict) and old != self.config:
                diffs = "; ".join(config_differences(old, self.config))
                raise BadInput("batch.other_settings", path=self.path, diffs=diffs)
            self.done.add(item["key"])
            status = str(item.get("status", ""))
            self.counts[status] = self.counts.get(status, 0) + 1

    def write(self, record: dict[str, Any]) -> None:
        """Append one record (once per key: a key already written is an error in the caller)."""
        assert self.file is not None
        key = record["key"]
        if key in self.done:
            raise ValueError(f"passage {key} was already written")
        self.file.append(record)
        self.done.add(key)
        status = str(record.get("status", ""))
        self.counts[status] = self.counts.get(status, 0) + 1
