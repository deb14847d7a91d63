"""Pair records and the dataset formats they are saved in.

Formats (all UTF-8, Chinese kept as characters):

* ``demo``     — the original demo's JSON array of ``{"instruction", "output"}``; an input is folded
                 into the instruction as ``instruction ### Input: input`` (as in the seed's example);
* ``alpaca``   — JSON array of ``{"instruction", "input", "output"}``;
* ``sharegpt`` — JSON array of ``{"conversations": [{"from": "human"}, {"from": "gpt"}]}``;
* ``jsonl``    — one full record per line (scores, model, parameters, seed, time, source).
"""

from __future__ import annotations

import datetime as _dt
import math
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

FORMATS = ("demo", "alpaca", "sharegpt", "jsonl")
INPUT_MARK = "### Input:"
"""How an SNI-style instruction carries its input (the seed's "happy" example); the cleaner splits on it."""


def fold_input(instruction: str, extra_input: str, *, sep: str = " ") -> str:
    """``instruction ### Input: input`` (just the instruction when there is no input)."""
    return f"{instruction}{sep}{INPUT_MARK} {extra_input}" if extra_input else instruction


@dataclass
class PairRecord:
    instruction: str
    output: str
    input: str = ""
    template: str = ""
    nll: float | None = None
    ifd: float | None = None
    rifd: float | None = None
    judge: int | None = None
    model_name: str = ""
    model_sha256: str | None = None
    scorer_name: str = ""
    """The model that scored the candidates when it was not the generator (``--scorer``), else empty."""
    scorer_sha256: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    source: str = ""
    created: str = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def folded_instruction(self) -> str:
        return fold_input(self.instruction, self.input)

    def to_format(self, fmt: str) -> dict[str, Any]:
        if fmt == "demo":
            return {"instruction": self.folded_instruction, "output": self.output}
        if fmt == "alpaca":
            return {"instruction": self.instruction, "input": self.input, "output": self.output}
        if fmt == "sharegpt":
            human = f"{self.instruction}\n\n{self.input}" if self.input else self.instruction
            return {"conversations": [{"from": "human", "value": human}, {"from": "gpt", "value": self.output}]}
        if fmt == "jsonl":
            record = asdict(self)
            for key in ("nll", "ifd", "rifd"):  # strict JSON: no NaN or Infinity in a dataset
                if record[key] is not None and not math.isfinite(record[key]):
                    record[key] = None
            return record
        raise ValueError(f"unknown format {fmt}")


def detect_format(items: list[Any]) -> str | None:
    """The JSON-array format of existing items (None for an empty array or mixed/unknown items)."""
    kinds = set()
    for item in items:
        if not isinstance(item, dict):
            return None
        if "conversations" in item:
            kinds.add("sharegpt")
        elif "instruction" in item and "output" in item:
            kinds.add("alpaca" if "input" in item else "demo")
        else:
            return None
    return kinds.pop() if len(kinds) == 1 else None
