"""Export a dataset to the formats training tools read, streaming and atomic.

Reads what ``opening generate --save`` and ``opening batch`` write: batch ledgers (JSONL, one record per
passage), pair records (JSONL) and the demo / Alpaca / ShareGPT JSON arrays. JSONL is read a line at a
time (memory stays flat in the file's size); a JSON array is read whole (the window's saves are small).
A broken line is skipped and counted, never guessed at.

Formats (``--to``):

* ``demo``, ``alpaca``, ``sharegpt`` — JSON arrays (opening.data.records);
* ``jsonl`` — one ``{"instruction", "input", "output", "status", "source", "nll", "ifd"}`` per line;
* ``csv`` — the same columns, UTF-8 with a header row;
* ``llamafactory`` — a folder: ``NAME.json`` (Alpaca) and its entry in ``dataset_info.json`` (other
  entries kept, the same entry replaced: exporting twice works);
* ``dpo`` — JSONL of ``{"prompt", "chosen", "rejected"}`` for DPO/ORPO on the *generator*: the prompt is
  the reverse prompt around the text; the person's edited instruction is preferred over the model's pick,
  and the pick over each candidate the filter rejected; an input is folded in as ``### Input:``, the way
  the generator writes it (what ``opening-train prefer`` trains on).

Every file is written under a temporary name in the output's folder, then renamed over it: a killed
export leaves the old file or the new one, never half of either.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from opening.base.atomic import commit_temp, remove_quietly
from opening.base.errors import BadInput, describe_os_error
from opening.data.records import PairRecord, fold_input

log = logging.getLogger(__name__)

EXPORT_FORMATS = ("demo", "alpaca", "sharegpt", "jsonl", "csv", "llamafactory", "dpo")
STATUSES = ("new", "chosen", "accepted", "edited", "rejected_by_user", "rejected", "no_helpful_instruction")
"""``new``: a saved pair not reviewed yet; ``chosen``: a batch record not reviewed yet; the review sets
``accepted``, ``edited`` or ``rejected_by_user``; ``rejected`` / ``no_helpful_instruction``: a batch
passage with no pair."""
DEFAULT_EXCLUDED = ("rejected_by_user",)
"""Left out unless asked for; a record without a pair is always left out."""
CSV_COLUMNS = ("instruction", "input", "output", "status", "source", "nll", "ifd")


@dataclass
class Row:
    """One exportable pair, whatever file it came from."""

    instruction: str
    input: str
    output: str
    status: str
    source: str = ""
    nll: float | None = None
    ifd: float | None = None
    model_pick: tuple[str, str] | None = None
    """The model's (instruction, input) when the person edited it."""
    losers: list[tuple[str, str]] = field(default_factory=list)
    """Candidates the filter rejected (instruction, input): what the pick is preferred over."""

    def record(self) -> PairRecord:
        return PairRecord(self.instruction, self.output, self.input, nll=self.nll, ifd=self.ifd, source=self.source)


@dataclass
class ExportReport:
    rows: int = 0
    skipped_status: int = 0
    broken_lines: list[int] = field(default_factory=list)


def _source(value: Any) -> str:
    if isinstance(value, dict):
        file = str(value.get("file", ""))
        place = value.get("line", value.get("item"))
        return f"{file}:{place}" if place is not None else file
    return str(value or "")


def _pair_of(item: dict[str, Any]) -> tuple[str, str] | None:
    instruction = item.get("instruction")
    if not isinstance(instruction, str) or not instruction.strip():
        return None
    extra = item.get("input", "")
    return instruction, extra if isinstance(extra, str) else ""


def row_of(item: Any) -> Row | None:
    """A :class:`Row` from a ledger record, a pair record or an array item (None: no pair in it)."""
    if not isinstance(item, dict):
        return None
    if "key" in item and "candidates" in item:  # a batch ledger record
        status = str(item.get("status", "chosen"))
        pair = item.get("pair")
        cands = [c for c in item.get("candidates") or [] if isinstance(c, dict)]
        losers = [p for c in cands if c.get("rejected") and (p := _pair_of(c)) is not None]
        if not isinstance(pair, dict) or not isinstance(pair.get("output"), str):
            return Row("", "", "", status, _source(item.get("source")), losers=losers)
        scores = item.get("scores") or {}
        pick = None
        chosen = item.get("chosen")
        if status == "edited" and isinstance(chosen, int) and 0 <= chosen < len(cands):
            pick = _pair_of(cands[chosen])
        return Row(
            str(pair.get("instruction", "")),
            str(pair.get("input", "") or ""),
            pair["output"],
            status,
            _source(item.get("source")),
            scores.get("nll"),
            scores.get("ifd"),
            pick,
            losers,
        )
    if "conversations" in item:  # ShareGPT
        turns = item["conversations"]
        if isinstance(turns, list) and len(turns) >= 2 and all(isinstance(t, dict) for t in turns[:2]):
            return Row(str(turns[0].get("value", "")), "", str(turns[1].get("value", "")), str(item.get("status", "new")))
        return None
    if isinstance(item.get("instruction"), str) and isinstance(item.get("output"), str):
        return Row(
            item["instruction"],
            str(item.get("input", "") or ""),
            item["output"],
            str(item.get("status", "new")),
            _source(item.get("source")),
            item.get("nll"),
            item.get("ifd"),
        )
    return None


def read_items(path: Path, report: ExportReport) -> Iterator[Any]:
    """The items of a dataset file: JSONL a line at a time, a JSON array whole."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise BadInput("path.cannot_read", path=path, reason=describe_os_error(exc)) from None
    with fh:
        head = fh.read(1 << 16).lstrip()
        fh.seek(0)
        if head.startswith(b"["):
            try:
                items = json.loads(fh.read().decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise BadInput("export.bad_array", path=path, detail=str(exc)) from None
            yield from items
            return
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                report.broken_lines.append(number)


def rows(path: Path, statuses: tuple[str, ...] | None, report: ExportReport, watch: Watch | None = None) -> Iterator[Row]:
    """The pairs of ``path`` whose status is in ``statuses`` (None: all but those the person rejected).
    ``watch`` sees the count of records read every :data:`WATCH_EVERY` (and may raise to stop)."""
    for n, item in enumerate(read_items(path, report), start=1):
        if watch is not None and n % WATCH_EVERY == 0:
            watch(n)
        row = row_of(item)
        if row is None:
            continue
        wanted = row.status in statuses if statuses else row.status not in DEFAULT_EXCLUDED
        if not wanted or not row.output:
            report.skipped_status += 1
            continue
        yield row


PromptFn = Callable[[str], str]
Watch = Callable[[int], None]
WATCH_EVERY = 1000


def default_target(dataset: Path, fmt: str) -> Path:
    """Where an export of ``dataset`` goes unless the person says otherwise: beside it, named for the format."""
    name = {"csv": ".csv", "jsonl": "-pairs.jsonl", "dpo": "-dpo.jsonl", "llamafactory": "-llamafactory"}.get(fmt, f"-{fmt}.json")
    return dataset.with_name(dataset.stem + name)


class _Atomic:
    """A text file written under a temporary name beside ``final`` and renamed over it on success."""

    def __init__(self, final: Path, newline: str | None = None) -> None:
        self.final = final
        fd, name = tempfile.mkstemp(prefix=f".{final.name[:64]}.", suffix=".tmp", dir=final.parent)
        self.temp = Path(name)
        self.fh: IO[str] = os.fdopen(fd, "w", encoding="utf-8", newline=newline)

    def __enter__(self) -> IO[str]:
        return self.fh

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.fh.close()
        if exc_type is None:
            if self.final.exists():
                os.chmod(self.temp, self.final.stat().st_mode & 0o777)
            commit_temp(self.temp, self.final)
        else:
            remove_quietly(self.temp)


def _dump(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False, allow_nan=False)


def _write_array(out: Path, items: Iterator[dict[str, Any]]) -> int:
    n = 0
    with _Atomic(out) as fh:
        fh.write("[")
        for item in items:
            fh.write(("," if n else "") + "\n  " + _dump(item))
            n += 1
        fh.write("\n]\n" if n else "]\n")
    return n


def _write_lines(out: Path, items: Iterator[dict[str, Any]]) -> int:
    n = 0
    with _Atomic(out) as fh:
        for item in items:
            fh.write(_dump(item) + "\n")
            n += 1
    return n


def _plain(row: Row) -> dict[str, Any]:
    return {
        "instruction": row.instruction,
        "input": row.input,
        "output": row.output,
        "status": row.status,
        "source": row.source,
        "nll": row.nll,
        "ifd": row.ifd,
    }


def _write_csv(out: Path, source: Iterator[Row]) -> int:
    n = 0
    with _Atomic(out, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in source:
            writer.writerow({k: ("" if v is None else v) for k, v in _plain(row).items()})
            n += 1
    return n


def _preferences(source: Iterator[Row], prompt_for: PromptFn) -> Iterator[dict[str, str]]:
    def text(pair: tuple[str, str]) -> str:  # as the generator writes it: "instruction ### Input: input"
        return fold_input(*pair)

    for row in source:
        prompt = prompt_for(row.output)
        final = text((row.instruction, row.input))
        if row.model_pick is not None and text(row.model_pick) != final:
            yield {"prompt": prompt, "chosen": final, "rejected": text(row.model_pick)}
        for loser in row.losers:
            if text(loser) != final:
                yield {"prompt": prompt, "chosen": final, "rejected": text(loser)}


def _llamafactory(folder: Path, name: str, source: Iterator[Row]) -> int:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput("export.cannot_mkdir", folder=folder, reason=describe_os_error(exc)) from None
    data = folder / f"{name}.json"
    n = _write_array(data, (row.record().to_format("alpaca") for row in source))
    info_path = folder / "dataset_info.json"
    info: dict[str, Any] = {}
    if info_path.exists():
        try:
            loaded = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInput("export.info_not_json", path=info_path, detail=str(exc)) from None
        if not isinstance(loaded, dict):
            raise BadInput("export.info_not_object", path=info_path)
        info = loaded
    info[name] = {
        "file_name": data.name,
        "formatting": "alpaca",
        "columns": {"prompt": "instruction", "query": "input", "response": "output"},
    }
    with _Atomic(info_path) as fh:
        fh.write(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
    return n


def export(
    dataset: Path,
    fmt: str,
    out: Path,
    *,
    statuses: tuple[str, ...] | None = None,
    prompt_for: PromptFn | None = None,
    name: str | None = None,
    watch: Watch | None = None,
) -> ExportReport:
    """Write the pairs of ``dataset`` (filtered by status) to ``out`` in ``fmt``; returns the counts.

    ``prompt_for`` (``dpo`` only) puts a text in the generator's reverse prompt; ``name`` (``llamafactory``
    only) names the dataset entry (default: the dataset file's stem); ``watch`` is called with the
    count of records read as the export goes (an exception it raises, e.g. Cancelled, stops the export
    and leaves ``out`` as it was).
    """
    if fmt not in EXPORT_FORMATS:
        raise BadInput("export.unknown_format", fmt=fmt, known=", ".join(EXPORT_FORMATS))
    for status in statuses or ():
        if status not in STATUSES:
            raise BadInput("export.unknown_status", status=status, known=", ".join(STATUSES))
    dataset, out = Path(dataset), Path(out)
    if not dataset.is_file():
        raise BadInput("path.not_a_file", path=dataset)
    if out.resolve() == dataset.resolve():
        raise BadInput("export.onto_itself")
    if fmt != "llamafactory" and not out.parent.is_dir():
        raise BadInput("path.folder_missing", folder=out.parent)
    report = ExportReport()
    source = rows(dataset, statuses, report, watch)
    try:
        if fmt in ("demo", "alpaca", "sharegpt"):
            report.rows = _write_array(out, (row.record().to_format(fmt) for row in source))
        elif fmt == "jsonl":
            report.rows = _write_lines(out, (_plain(row) for row in source))
        elif fmt == "csv":
            report.rows = _write_csv(out, source)
        elif fmt == "dpo":
            if prompt_for is None:
                raise BadInput("export.dpo_needs_prompt")
            report.rows = _write_lines(out, _preferences(source, prompt_for))
        else:
            report.rows = _llamafactory(out, name or dataset.stem, source)
    except OSError as exc:
        raise BadInput("path.cannot_write", path=out, reason=describe_os_error(exc)) from None
    if report.broken_lines:
        log.warning("%s: %d broken lines skipped", dataset, len(report.broken_lines))
    return report
