"""Generators the user trained: the GGUFs ``opening-train fit`` wrote from a GGUF base, listed in the model
registry as ``trained``, each with the line its run record keeps (the base, the pairs, the steps, and the
last evaluation once ``opening eval-choice`` has measured it on held-out pairs).

The run record is ``opening-train.json`` in the folder the generator was written to (the run's folder); a
GGUF whose folder holds no finished run that names it is not a trained generator. An evaluation is added
to that record (a list, newest last), never replacing what the trainer wrote.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opening.base.atomic import atomic_write_text
from opening.models.registry import known_models, register

log = logging.getLogger(__name__)

RUN_FILE = "opening-train.json"
SOURCE = "trained"


@dataclass(frozen=True)
class TrainedGenerator:
    path: Path
    base: str
    pairs: int
    steps: int
    evaluation: str | None
    """The last evaluation's line, e.g. ``ROUGE-L 0.31 vs gold, 100% in the text's language … (human-test.jsonl, 24 texts)``."""

    def line(self) -> str:
        made = f"{self.path.name} — from {self.base}, {self.pairs} pairs, {self.steps} steps"
        return f"{made} — {self.evaluation}" if self.evaluation else f"{made} — not evaluated yet"


def _record(gguf: Path) -> dict[str, Any] | None:
    """The finished run record that names ``gguf`` as its generator, or None."""
    try:
        record = json.loads((gguf.parent / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    summary = record.get("summary") if isinstance(record, dict) else None
    if not record.get("finished") or not isinstance(summary, dict) or not isinstance(summary.get("generator"), str):
        return None
    return record if Path(summary["generator"]).name == gguf.name else None


def read_trained(gguf: Path) -> TrainedGenerator | None:
    record = _record(gguf)
    if record is None:
        return None
    summary, identity = record["summary"], record.get("identity", {})
    evaluations = record.get("evaluations") if isinstance(record.get("evaluations"), list) else []
    last = evaluations[-1].get("line") if evaluations and isinstance(evaluations[-1], dict) else None
    base = Path(str(identity.get("base_gguf") or identity.get("base") or "?")).name
    return TrainedGenerator(gguf, base, int(summary.get("pairs", 0)), int(summary.get("steps", 0)), last)


def register_trained(gguf: Path) -> None:
    """List a generator the trainer just wrote (``Models ▸ Use a generator I trained``)."""
    register(gguf, SOURCE)


def trained_generators() -> list[TrainedGenerator]:
    """The registered generators whose file and run record are still there, newest first."""
    found = [read_trained(Path(k.path)) for k in known_models() if k.source == SOURCE]
    return [t for t in reversed(found) if t is not None and t.path.is_file()]


def record_evaluation(gguf: Path, line: str, data: Path) -> bool:
    """Add an evaluation to the run record of a trained generator; False when ``gguf`` is not one."""
    record = _record(gguf)
    if record is None:
        return False
    earlier = record.get("evaluations")
    evaluations: list[Any] = earlier if isinstance(earlier, list) else []
    evaluations.append({"line": line, "data": str(data)})
    record["evaluations"] = evaluations
    try:
        atomic_write_text(gguf.parent / RUN_FILE, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    except OSError as exc:
        log.warning("could not record the evaluation in %s: %s", gguf.parent / RUN_FILE, exc)
        return False
    return True
