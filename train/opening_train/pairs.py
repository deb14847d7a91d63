"""The files ``fit``, ``prefer`` and ``eval`` read, checked line by line.

* a reversed training set (what ``opening-train data`` writes): JSONL with ``prompt`` and ``target``;
* preference pairs (what the review step exports as ``dpo``): JSONL with ``prompt``, ``chosen`` and
  ``rejected``.

A line in the wrong shape is refused with the file, the line and the field; an empty file is refused too.
The response inside a reversed prompt is recovered for ``eval`` by taking the reverse template off it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from opening.base.errors import BadInput
from opening.pipeline.templates import OPENING_TEMPLATES, TEXT
from opening_train.sources import jsonl_records


@dataclass(frozen=True)
class TrainPair:
    prompt: str
    target: str
    lang: str
    where: str


@dataclass(frozen=True)
class PreferencePair:
    prompt: str
    chosen: str
    rejected: str
    where: str


def _rows(path: Path, kind: str, fields: tuple[str, ...]) -> Iterator[tuple[str, list[str], dict[str, object]]]:
    """Each line's place (``file:line``), its text fields (present, not blank, stripped) and the record."""
    for line, item in jsonl_records(path):
        values = []
        for name in fields:
            value = item.get(name)
            if not isinstance(value, str) or not value.strip():
                raise BadInput("train.field_missing", path=path, line=line, source=kind, field=name)
            values.append(value.strip())
        yield f"{path.name}:{line}", values, item


def read_train_pairs(path: Path) -> list[TrainPair]:
    """A reversed training set: ``prompt`` and ``target`` on every line (``lang`` optional)."""
    rows = _rows(path, "training", ("prompt", "target"))
    pairs = [TrainPair(v[0], v[1], str(item.get("lang") or ""), where) for where, v, item in rows]
    if not pairs:
        raise BadInput("train.no_pairs", path=path, what="prompt, target")
    return pairs


def read_preferences(path: Path) -> list[PreferencePair]:
    """Preference pairs as the review step exports them (``opening export --to dpo``)."""
    rows = _rows(path, "preference", ("prompt", "chosen", "rejected"))
    pairs = [PreferencePair(v[0], v[1], v[2], where) for where, v, _ in rows]
    if not pairs:
        raise BadInput("train.no_pairs", path=path, what="prompt, chosen, rejected")
    return pairs


def text_of(prompt: str) -> str | None:
    """The response a reversed prompt was built around (None when no reverse template fits it)."""
    for template in OPENING_TEMPLATES:
        before, after = template.raw.split(TEXT)
        if prompt.startswith(before) and prompt.endswith(after) and len(prompt) > len(before) + len(after):
            return prompt[len(before) : len(prompt) - len(after)]
    return None
