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
from opening.base.checks import may_write
from opening.base.errors import BadInput, OpeningError, describe_os_error
from opening.data.batch_ledger import Ledger, config_differences, earlier_config, move_aside
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
    """Every record of every shard, in shard order, each key once (the first one written). Every record
    must have a key and the first shard's settings: a shard of another run is refused, named."""
    seen: set[str] = set()
    config: Any = None
    for shard in shard_files(Path(folder)):
        for n, item in enumerate(DatasetFile.open(shard, "jsonl").items(), 1):
            key = item.get("key") if isinstance(item, dict) else None
            if not isinstance(key, str):
                raise BadInput("batch.not_a_batch", path=shard, line=n)
            if config is None:
                config = item.get("config")
            elif item.get("config") != config:
                diffs = "; ".join(config_differences(config, item.get("config") or {}))
                raise BadInput("cluster.shards_differ", path=shard, diffs=diffs)
            if key not in seen:
                seen.add(key)
                yield item


@dataclass(frozen=True)
class Merged:
    path: Path
    records: int
    """Records written by this merge."""
    shards: int
    kept: int = 0
    """Records already in an earlier merge's output, kept as they were (with the person's review marks)."""


def _earlier_merge(target: Path) -> tuple[DatasetFile, set[str]]:
    """An earlier merge in ``target`` and its keys; anything else there is refused, never replaced."""
    try:
        dataset = DatasetFile.open(target, "jsonl")
        items = dataset.items()
    except OpeningError:
        raise BadInput("cluster.merge_target_foreign", path=target) from None
    keys = {item.get("key") for item in items if isinstance(item, dict)}
    if len(items) == 0 or len(keys) != len(items) or not all(isinstance(k, str) for k in keys):
        raise BadInput("cluster.merge_target_foreign", path=target)
    return dataset, {str(k) for k in keys}


def merge_shards(folder: str | Path, out: str | Path | None = None) -> Merged:
    """Write the shards of ``folder`` as one JSONL dataset (default: ``FOLDER.jsonl`` beside it). A new
    file is written whole or not at all; an earlier merge there (reviewed or not) keeps every record as
    it is, and gets the new keys appended (locked, journalled): merging again after more shards came in,
    or after a review, loses no mark. Any other existing file is refused."""
    folder = Path(folder).expanduser().absolute()
    shards = shard_files(folder) if folder.is_dir() else []
    if not shards:
        raise BadInput("cluster.no_shards", path=folder)
    named = Path(out).expanduser() if out else folder.resolve().with_name(folder.resolve().name + ".jsonl")
    if named.resolve().parent == folder.resolve():
        raise BadInput("cluster.merge_inside", path=named)
    target = may_write(named, tuple(shards))
    records = list(shard_records(folder))
    if target.exists() and target.stat().st_size > 0:
        dataset, done = _earlier_merge(target)
        new = [r for r in records if r["key"] not in done]
        for record in new:
            dataset.append(record)
        return Merged(target, len(new), len(shards), kept=len(done))
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in records]
    try:
        atomic_write_bytes(target, "".join(lines).encode("utf-8"))
    except OSError as exc:
        raise BadInput("path.cannot_write", path=target, reason=describe_os_error(exc)) from None
    return Merged(target, len(lines), len(shards))
