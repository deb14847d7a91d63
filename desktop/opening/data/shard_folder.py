"""A batch output written as a folder of JSONL shards (batch mode on a Ray cluster), read as one dataset.

Each run of the job writes one new shard, ``part-YYYYmmdd-HHMMSS-PID.jsonl``, through a
:class:`~opening.data.batch_ledger.Ledger` (locked, journalled appends: a killed driver never leaves a
torn record); the keys of every shard already there count as done, so a run started again schedules only
the missing passages and no key is written twice. A shard written with other settings is refused as a
ledger file is. :func:`merge_shards` writes the shards as one JSONL dataset (the review and the exports
read it), each key once.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opening.base.atomic import atomic_write_bytes
from opening.base.errors import BadInput, describe_os_error
from opening.data.batch_ledger import Ledger, earlier_config, move_aside
from opening.data.dataset_file import DatasetFile

log = logging.getLogger(__name__)
SHARD_GLOB = "part-*.jsonl"


def shard_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).glob(SHARD_GLOB) if p.is_file())


def open_shards(folder: str | Path, config: dict[str, Any], *, restart: bool = False) -> Ledger:
    """The ledger of this run: a new shard in ``folder`` whose ``done`` holds the keys of every shard
    already there (each checked for the same settings, as :meth:`Ledger.open` checks its file)."""
    folder = Path(folder).expanduser()
    if folder.suffix.lower() == ".jsonl" or (folder.exists() and not folder.is_dir()):
        raise BadInput("cluster.out_not_folder", path=folder)
    if restart and folder.exists() and shard_files(folder):
        move_aside(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput("export.cannot_mkdir", folder=folder, reason=describe_os_error(exc)) from None
    done: set[str] = set()
    counts: dict[str, int] = {}
    for shard in shard_files(folder):
        earlier = Ledger.open(shard, config)  # refuses other settings, names the differences
        done |= earlier.done
        for status, n in earlier.counts.items():
            counts[status] = counts.get(status, 0) + n
    shard = folder / f"part-{_dt.datetime.now():%Y%m%d-%H%M%S-%f}-{os.getpid()}.jsonl"  # sorts in run order
    while shard.exists():
        shard = shard.with_name(shard.stem + "x.jsonl")
    ledger = Ledger.open(shard, config)
    ledger.done, ledger.counts = done, counts
    return ledger


def earlier_shard_config(folder: str | Path) -> dict[str, Any] | None:
    """The settings of the run already in ``folder`` (its first shard's), None when there is none."""
    shards = shard_files(Path(folder).expanduser()) if Path(folder).expanduser().is_dir() else []
    return earlier_config(shards[0]) if shards else None


def shard_records(folder: str | Path) -> Iterator[dict[str, Any]]:
    """Every record of every shard, in shard order, each key once (the first one written)."""
    seen: set[str] = set()
    for shard in shard_files(Path(folder)):
        for item in DatasetFile.open(shard, "jsonl").items():
            key = item.get("key") if isinstance(item, dict) else None
            if isinstance(key, str) and key not in seen:
                seen.add(key)
                yield item


@dataclass(frozen=True)
class Merged:
    path: Path
    records: int
    shards: int


def merge_shards(folder: str | Path, out: str | Path | None = None) -> Merged:
    """Write the shards of ``folder`` as one JSONL dataset (default: ``FOLDER.jsonl`` beside it), atomically:
    the file is whole or not there."""
    folder = Path(folder).expanduser()
    shards = shard_files(folder) if folder.is_dir() else []
    if not shards:
        raise BadInput("cluster.no_shards", path=folder)
    target = Path(out).expanduser() if out else folder.with_name(folder.name + ".jsonl")
    if target.resolve().parent == folder.resolve():
        raise BadInput("cluster.merge_inside", path=target)
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in shard_records(folder)]
    try:
        atomic_write_bytes(target, "".join(lines).encode("utf-8"))
    except OSError as exc:
        raise BadInput("path.cannot_write", path=target, reason=describe_os_error(exc)) from None
    return Merged(target, len(lines), len(shards))
