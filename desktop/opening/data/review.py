"""Reviewing a run before (and after) it is saved: pick a candidate, edit it, keep one saved copy in step.

The window is a thin skin over these two classes:

* :class:`Review` — which candidate is picked and how the user edited it; the pair as the JSON text
  the window shows (built with :mod:`json`, never by string formatting).
* :class:`SavedPair` — the one record a run saved to a dataset file. Picking another candidate or
  editing afterwards *replaces* that record (a journalled splice, and only if the file still holds what
  was saved there); Undo removes it. A run never leaves a second copy.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass

from opening.data.dataset_file import DatasetFile, Placed, SaveError
from opening.data.records import PairRecord

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
    placed: Placed
    """Where the file holds the pair, as far as we know (another program may move it: see ``DatasetFile``)."""
    record: PairRecord

    @classmethod
    def save(cls, dataset: DatasetFile, record: PairRecord) -> SavedPair:
        _check_savable(record)
        return cls(dataset, dataset.append(record), record)

    def update(self, record: PairRecord) -> bool:
        """Make the saved pair ``record``; False when that changes nothing in the file."""
        _check_savable(record)
        if record.to_format(self.dataset.fmt) == self.record.to_format(self.dataset.fmt):
            return False
        self.placed = self.dataset.replace(self.placed, record)
        self.record = record
        log.info("updated a pair in %s", self.dataset.path)
        return True

    def undo(self) -> None:
        """Remove the saved pair (only if the file still holds what was saved there)."""
        self.dataset.remove(self.placed)
        log.info("removed a pair from %s", self.dataset.path)


def _check_savable(record: PairRecord) -> None:
    if not record.instruction.strip():
        raise SaveError("save.empty_instruction")
