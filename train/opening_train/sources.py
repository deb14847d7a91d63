"""The three sources of the original's training set, read from local copies in their published formats.

* Super-NaturalInstructions: a folder of task files (``task*.json``), each a JSON object with
  ``Definition`` (a list of strings), ``Instances`` (``id``, ``input``, ``output``: a list) and the task's
  ``Categories``. One pair per instance: the definition is the instruction, the instance's input its
  input, the first output the response.
* Dolly-15k: JSONL with ``instruction``, ``context``, ``response``, ``category``.
* Firefly: JSONL with ``kind``, ``input``, ``target`` (the input is the instruction).
* COIG-CQIA: JSONL with ``instruction``, ``input`` (may be empty), ``output`` and the file it came from in
  ``subset`` (or ``task_type``) — the Chinese human pairs of ``shared/data``.

A record in the wrong shape is refused with the file, the line and the field it lacks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opening.base.checks import regular_file
from opening.base.errors import BadInput, describe_os_error
from opening.data.user_text import TextProblem, decode_text, is_unicode, may_hold_surrogates

SOURCES = ("sni", "dolly", "firefly", "coig")


@dataclass(frozen=True)
class SourcePair:
    """One instruction-tuning pair as its source gives it."""

    instruction: str
    input: str
    response: str
    source: str
    category: str
    where: str
    """``file:line`` or ``file#instance`` (for the report and for a user who wants to look)."""


def jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The objects of a JSONL file, with their line numbers (lines split on newlines only; a BOM, a
    non-UTF-8 byte or a lone surrogate is named with its line: :mod:`opening.data.user_text`)."""
    regular_file(path, "what.dataset_file")
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise BadInput("path.cannot_read", path=path, reason=describe_os_error(exc)) from None
    with fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                line = decode_text(raw)
                item = json.loads(line)
            except TextProblem as problem:
                raise BadInput("train.not_json", path=path, line=number, detail=problem.reason) from None
            except (ValueError, RecursionError) as exc:
                raise BadInput("train.not_json", path=path, line=number, detail=str(exc)[:120]) from None
            if not isinstance(item, dict):
                raise BadInput("train.field_missing", path=path, line=number, source="JSONL", field="{…}")
            if may_hold_surrogates(raw) and not is_unicode(item):  # the byte search first, as the export does
                raise BadInput("train.not_json", path=path, line=number, detail="a lone surrogate in a string")
            yield number, item


def _text(item: dict[str, Any], field: str, path: Path, line: int, source: str, *, optional: bool = False) -> str:
    value = item.get(field)
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise BadInput("train.field_missing", path=path, line=line, source=source, field=field)
    return value.strip()


def read_dolly(path: Path) -> Iterator[SourcePair]:
    for line, item in jsonl_records(path):
        yield SourcePair(
            _text(item, "instruction", path, line, "Dolly"),
            _text(item, "context", path, line, "Dolly", optional=True),
            _text(item, "response", path, line, "Dolly"),
            "dolly",
            _text(item, "category", path, line, "Dolly", optional=True) or "dolly",
            f"{path.name}:{line}",
        )


def read_firefly(path: Path) -> Iterator[SourcePair]:
    for line, item in jsonl_records(path):
        yield SourcePair(
            _text(item, "input", path, line, "Firefly"),
            "",
            _text(item, "target", path, line, "Firefly"),
            "firefly",
            _text(item, "kind", path, line, "Firefly", optional=True) or "firefly",
            f"{path.name}:{line}",
        )


def read_coig(path: Path) -> Iterator[SourcePair]:
    for line, item in jsonl_records(path):
        kind = item.get("subset") or item.get("task_type")
        yield SourcePair(
            _text(item, "instruction", path, line, "COIG-CQIA"),
            _text(item, "input", path, line, "COIG-CQIA", optional=True),
            _text(item, "output", path, line, "COIG-CQIA"),
            "coig",
            str(kind).split("/")[0] if isinstance(kind, str) and kind else "coig",
            f"{path.name}:{line}",
        )


def read_sni(folder: Path) -> Iterator[SourcePair]:
    files = sorted(folder.glob("task*.json")) if folder.is_dir() else []
    if not files:
        raise BadInput("train.sni_no_tasks", path=folder)
    for path in files:
        try:
            task = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise BadInput("path.cannot_read", path=path, reason=describe_os_error(exc)) from None
        except ValueError as exc:
            raise BadInput("train.sni_not_task", path=path, field="JSON", detail=str(exc)[:120]) from None
        definition = task.get("Definition") if isinstance(task, dict) else None
        instances = task.get("Instances") if isinstance(task, dict) else None
        if not isinstance(definition, list) or not all(isinstance(d, str) for d in definition):
            raise BadInput("train.sni_not_task", path=path, field="Definition", detail="a list of strings")
        if not isinstance(instances, list):
            raise BadInput("train.sni_not_task", path=path, field="Instances", detail="a list of objects")
        categories = task.get("Categories") or [path.stem]
        category = str(categories[0]) if isinstance(categories, list) and categories else path.stem
        text = " ".join(d.strip() for d in definition).strip()
        for n, inst in enumerate(instances):
            outputs = inst.get("output") if isinstance(inst, dict) else None
            if not isinstance(inst, dict) or not isinstance(inst.get("input"), str) or not isinstance(outputs, list):
                raise BadInput("train.sni_not_task", path=path, field="Instances", detail=f"instance {n}: input, output")
            first = next((o for o in outputs if isinstance(o, str) and o.strip()), "")
            yield SourcePair(text, inst["input"].strip(), first.strip(), "sni", category, f"{path.name}#{n}")
