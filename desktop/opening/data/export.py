"""Export a dataset to the formats training tools read, streaming and atomic.

Reads what ``opening generate --save`` and ``opening batch`` write: batch ledgers (JSONL, one record per
passage), pair records (JSONL) and the demo / Alpaca / ShareGPT JSON arrays. JSONL is read a line at a
time (memory stays flat in the file's size); a JSON array is read whole (the window's saves are small).
A broken line is skipped and counted, never guessed at.

Formats (``--to``):

* ``demo``, ``alpaca``, ``sharegpt`` — JSON arrays (opening.data.records);
* ``jsonl`` — one ``{"instruction", "input", "output", "status", "source", "nll", "ifd"}`` per line;
* ``csv`` — the same columns, UTF-8 with a header row; a text cell that a spreadsheet would run as a
  formula (starting with ``= + - @``, a tab or a carriage return) is written with a leading ``'``, as
  OWASP recommends against CSV injection (the model writes what the corpus makes it write);
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
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from opening.base.atomic import commit_temp, remove_quietly
from opening.base.checks import dangling_link_on_the_way, may_write, regular_file, same_file
from opening.base.errors import BadInput, describe_os_error
from opening.data.dataset_file import DatasetFile
from opening.data.records import PairRecord, fold_input
from opening.data.user_text import BOM, TextProblem, decode_text, is_unicode, may_hold_surrogates

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


def _score(value: Any) -> float | None:
    """A score as a finite number; None for anything else (NaN, Infinity, text, true)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


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
        listed = item.get("candidates")
        cands = [c for c in listed if isinstance(c, dict)] if isinstance(listed, list) else []
        losers = [p for c in cands if c.get("rejected") and (p := _pair_of(c)) is not None]
        if not isinstance(pair, dict) or not isinstance(pair.get("output"), str):
            return Row("", "", "", status, _source(item.get("source")), losers=losers)
        found = item.get("scores")
        scores: dict[str, Any] = found if isinstance(found, dict) else {}
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
            _score(scores.get("nll")),
            _score(scores.get("ifd")),
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
            _score(item.get("nll")),
            _score(item.get("ifd")),
        )
    return None


def read_items(path: Path, report: ExportReport) -> Iterator[Any]:
    """The items of a dataset file: JSONL a line at a time (split on newlines only), a JSON array whole;
    a BOM is dropped. An interrupted save (its journal beside the file) is finished first. A line (or
    item) that is not JSON, or whose text no UTF-8 file can hold (a lone surrogate), is counted in
    ``report.broken_lines`` and the rest exported."""
    DatasetFile.finish_interrupted(path)
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise BadInput("path.cannot_read", path=path, reason=describe_os_error(exc)) from None
    with fh:
        head = fh.read(1 << 16).removeprefix(BOM).lstrip()
        fh.seek(0)
        if head.startswith(b"["):
            raw = fh.read()
            try:
                items = json.loads(decode_text(raw))
            except (TextProblem, json.JSONDecodeError, RecursionError) as exc:
                raise BadInput("export.bad_array", path=path, detail=str(exc)) from None
            if not isinstance(items, list):
                raise BadInput("export.bad_array", path=path, detail="not an array")
            check = may_hold_surrogates(raw)
            for number, item in enumerate(items, start=1):
                if not check or is_unicode(item):
                    yield item
                else:
                    report.broken_lines.append(number)
            return
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(decode_text(line))
            except (TextProblem, json.JSONDecodeError, RecursionError):
                report.broken_lines.append(number)
                continue
            if not may_hold_surrogates(line) or is_unicode(item):
                yield item
            else:
                report.broken_lines.append(number)


def rows(path: Path, statuses: tuple[str, ...] | None, report: ExportReport, watch: Watch | None = None) -> Iterator[Row]:
    """The pairs of ``path`` whose status is in ``statuses`` (None: all but those the person rejected).
    ``watch`` sees the count of records read every :data:`WATCH_EVERY` (and may raise to stop)."""
    n = 0
    for n, item in enumerate(read_items(path, report), start=1):  # noqa: B007 (n is read after the loop)
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
    if n == 0 and report.broken_lines:  # not one record could be read: not a dataset (the export is not written)
        raise BadInput("export.nothing_readable", path=path, n=len(report.broken_lines))


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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is a formula to a spreadsheet (OWASP: CSV injection)."""


def csv_cell(value: Any) -> Any:
    """A text cell a spreadsheet will show, never run: one starting with ``= + - @``, a tab or a carriage
    return gets a leading ``'`` (OWASP's advice); numbers are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def _write_csv(out: Path, source: Iterator[Row]) -> int:
    n = 0
    with _Atomic(out, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in source:
            writer.writerow({k: csv_cell(v) for k, v in _plain(row).items()})
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


_ENTRY_NAME = re.compile(r"[\w][\w.\-]{0,99}")
INFO_FILE = "dataset_info.json"


def _entry_name(name: str) -> str:
    """A LLaMA-Factory dataset name that is only a name: no path, no hidden file, not the registry's own."""
    if not _ENTRY_NAME.fullmatch(name) or name.endswith(".") or name.lower() in ("dataset_info", "dataset_info.json"):
        raise BadInput("export.bad_name", name=name)
    return name


def _read_info(info_path: Path) -> dict[str, Any]:
    if not info_path.exists():
        return {}
    try:
        loaded = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput("export.info_not_json", path=info_path, detail=str(exc)) from None
    if not isinstance(loaded, dict):
        raise BadInput("export.info_not_object", path=info_path)
    return loaded


def _check_llamafactory(folder: Path, name: str, dataset: Path) -> None:
    """Before anything is read or made: the folder is reachable, neither file is the dataset, and the data
    file is new or this entry's earlier export (a hand-made ``NAME.json`` is never replaced)."""
    link = dangling_link_on_the_way(folder)
    if link is not None:
        raise BadInput("path.dangling_link", path=folder, link=link)
    if folder.exists() and not folder.is_dir():
        raise BadInput("path.not_a_folder", path=folder)
    data, info_path = folder / f"{name}.json", folder / INFO_FILE
    if not folder.exists():
        return  # made new: nothing of the person's is in it
    for target in (data, info_path):
        may_write(target, (dataset,))
    info = _read_info(info_path)  # a broken registry is refused before the data file is written
    if data.exists():
        entry = info.get(name)
        if not (isinstance(entry, dict) and entry.get("file_name") == data.name):
            raise BadInput("export.not_our_file", path=data, name=name, info=info_path)


def _llamafactory(folder: Path, name: str, source: Iterator[Row]) -> int:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput("export.cannot_mkdir", folder=folder, reason=describe_os_error(exc)) from None
    data = folder / f"{name}.json"
    n = _write_array(data, (row.record().to_format("alpaca") for row in source))
    info_path = folder / INFO_FILE
    info = _read_info(info_path)
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
    regular_file(dataset, "what.dataset_file")
    if same_file(out, dataset):
        raise BadInput("export.onto_itself")
    if fmt == "llamafactory":
        name = _entry_name(name if name is not None else dataset.stem)
        _check_llamafactory(out, name, dataset)
    else:
        if not out.parent.is_dir():
            raise BadInput("path.folder_missing", folder=out.parent)
        may_write(out, (dataset,))
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
            assert name is not None
            report.rows = _llamafactory(out, name, source)
    except OSError as exc:
        raise BadInput("path.cannot_write", path=out, reason=describe_os_error(exc)) from None
    if report.broken_lines:
        log.warning("%s: %d broken lines skipped", dataset, len(report.broken_lines))
    return report
