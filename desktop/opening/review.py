"""Reviewing a run before (and after) it is saved: pick a candidate, edit it, keep one saved copy in step.

The window is a thin skin over these two classes:

* :class:`Review` — which candidate is picked and how the user edited it; the pair as the JSON text
  the window shows (built with :mod:`json`, never by string formatting).
* :class:`SavedPair` — the one record a run saved to a dataset file. Picking another candidate or
  editing afterwards *replaces* that record (atomically, and only if the file still holds what was
  saved there); Undo removes it. A run never leaves a second copy.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass

from .dataset_file import DatasetFile, SaveError
from .records import PairRecord

log = logging.getLogger(__name__)


@dataclass
class Review:
    records: list[PairRecord]
    """One record per candidate, by index."""
    selected: int | None = None
    edit: tuple[str, str] | None = None
    """The user's (instruction, input) for the selected candidate, when changed by hand."""

    def select(self, index: int) -> None:
        if not 0 <= index < len(self.records):
            raise IndexError(index)
        self.selected, self.edit = index, None

    def set_edit(self, instruction: str, extra_input: str) -> None:
        base = self._base()
        if base is None:
            return
        changed = (instruction, extra_input) != (base.instruction, base.input)
        self.edit = (instruction, extra_input) if changed else None

    def _base(self) -> PairRecord | None:
        return None if self.selected is None else self.records[self.selected]

    def current(self) -> PairRecord | None:
        """The pair as it stands; an edited instruction loses the scores of the generated one."""
        base = self._base()
        if base is None or self.edit is None:
            return base
        instruction, extra_input = self.edit
        return dataclasses.replace(base, instruction=instruction, input=extra_input, nll=None, ifd=None)

    def json_text(self) -> str:
        """The demo format's JSON array holding this pair ("[]" when there is none)."""
        record = self.current()
        pairs = [record.to_format("demo")] if record is not None and record.instruction.strip() else []
        return json.dumps(pairs, ensure_ascii=False, indent=2)


@dataclass
class SavedPair:
    dataset: DatasetFile
    position: int
    record: PairRecord
    """What the file holds at ``position``, as far as we know."""

    @classmethod
    def save(cls, dataset: DatasetFile, record: PairRecord) -> "SavedPair":
        _check_savable(record)
        return cls(dataset, dataset.append(record), record)

    def update(self, record: PairRecord) -> int | None:
        """Make the saved pair ``record``; returns the file's pair count (None: nothing changed)."""
        _check_savable(record)
        if record.to_format(self.dataset.fmt) == self.record.to_format(self.dataset.fmt):
            return None
        count = self.dataset.replace(self.position, record, expected=self.record)
        self.record = record
        log.info("updated pair %d in %s", self.position + 1, self.dataset.path)
        return count

    def undo(self) -> int:
        """Remove the saved pair; returns how many pairs the file still holds."""
        count = self.dataset.remove(self.position, expected=self.record)
        log.info("removed pair %d from %s", self.position + 1, self.dataset.path)
        return count


def _check_savable(record: PairRecord) -> None:
    if not record.instruction.strip():
        raise SaveError("the instruction is empty: write one or pick another candidate before saving")
