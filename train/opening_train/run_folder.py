"""The folder a ``fit`` or ``prefer`` run works in (``--out``), and the rules that keep it safe.

* ``opening-train.json`` — what the run is (base, data and its SHA-256, settings) and whether it finished;
* ``train-log.jsonl`` — one line per optimiser step (step, loss, learning rate), appended across resumes;
* ``checkpoints/checkpoint-N/`` — transformers' checkpoints; one counts only once ``opening-complete`` is in
  it (written after the trainer has saved everything), so a kill during a save resumes from the one before;
* the finished model at the top (config.json, safetensors, tokenizer.model), moved in only when whole,
  config.json last; the checkpoints are then removed (``--keep-checkpoints`` keeps them).

A new run needs a new or empty folder; an unfinished run is continued only with ``--resume`` and only with
the same base, data and settings; a finished one is never written over.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opening.base.atomic import atomic_write_text
from opening.base.errors import BadInput, describe_os_error
from opening.models.file_hash import sha256_file
from opening.models.trained import RUN_FILE

COMPLETE = "opening-complete"
_CHECKPOINT = re.compile(r"checkpoint-(\d+)")


@dataclass(frozen=True)
class RunFolder:
    out: Path

    @property
    def record(self) -> Path:
        return self.out / RUN_FILE

    @property
    def checkpoints(self) -> Path:
        return self.out / "checkpoints"

    @property
    def log(self) -> Path:
        return self.out / "train-log.jsonl"

    @property
    def staging(self) -> Path:
        return self.out / ".final.partial"

    def read(self) -> dict[str, Any]:
        try:
            loaded = json.loads(self.record.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadInput("train.run_unreadable", path=self.record, detail=str(exc)[:200]) from None
        if not isinstance(loaded, dict) or not isinstance(loaded.get("identity"), dict):
            raise BadInput("train.run_unreadable", path=self.record, detail="not a run record")
        return loaded

    def write(self, record: dict[str, Any]) -> None:
        atomic_write_text(self.record, json.dumps(record, ensure_ascii=False, indent=1) + "\n")


def run_identity(command: str, base_dir: Path, inputs: dict[str, Path], settings: dict[str, Any]) -> dict[str, Any]:
    """What a run is, for ``--resume`` to compare: the command, the base, each input file (path and
    SHA-256) and every setting."""
    identity: dict[str, Any] = {"command": command, "base": str(base_dir.resolve())}
    for key, path in inputs.items():
        identity[key], identity[f"{key}_sha256"] = str(path.resolve()), sha256_file(path)
    return {**identity, **settings}


def open_run(out: Path, identity: dict[str, Any], resume: bool) -> tuple[RunFolder, Path | None]:
    """The run folder, and the checkpoint to resume from (None: start at step 0)."""
    run = RunFolder(out)
    if out.exists() and not out.is_dir():
        raise BadInput("train.out_not_folder", folder=out)
    if run.record.exists():
        record = run.read()
        if record.get("finished"):
            raise BadInput("train.finished", folder=out)
        if not resume:
            raise BadInput("train.run_exists", folder=out)
        earlier = record["identity"]
        changed = sorted(k for k in set(identity) | set(earlier) if identity.get(k) != earlier.get(k))
        if changed:
            detail = "; ".join(f"{k}: {earlier.get(k)!r} then, {identity.get(k)!r} now" for k in changed)
            raise BadInput("train.resume_differs", folder=out, detail=detail)
        return run, last_checkpoint(run)
    try:
        if out.exists() and any(out.iterdir()):
            raise BadInput("train.out_not_empty", folder=out)
        out.mkdir(parents=True, exist_ok=True)
        run.write({"identity": identity, "finished": False, "started": time.strftime("%Y-%m-%dT%H:%M:%S")})
    except OSError as exc:
        raise BadInput("path.cannot_write", path=out, reason=describe_os_error(exc)) from None
    return run, None


def last_checkpoint(run: RunFolder) -> Path | None:
    """The newest checkpoint saved whole."""
    if not run.checkpoints.is_dir():
        return None
    done = [
        (int(m.group(1)), p)
        for p in run.checkpoints.iterdir()
        if (m := _CHECKPOINT.fullmatch(p.name)) and (p / COMPLETE).is_file()
    ]
    return max(done)[1] if done else None


def mark_complete(checkpoint: Path) -> None:
    (checkpoint / COMPLETE).write_text("saved whole\n", encoding="utf-8")


def finish(run: RunFolder, summary: dict[str, Any], keep_checkpoints: bool) -> None:
    """Move the staged model to the top of the folder (config.json last) and record the run as finished."""
    staged = sorted(run.staging.iterdir(), key=lambda p: p.name == "config.json")
    for path in staged:
        os.replace(path, run.out / path.name)
    run.staging.rmdir()
    record = run.read()
    record.update(finished=True, finished_at=time.strftime("%Y-%m-%dT%H:%M:%S"), summary=summary)
    run.write(record)
    if not keep_checkpoints:
        shutil.rmtree(run.checkpoints, ignore_errors=True)
