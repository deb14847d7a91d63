"""What a run says while it trains: one JSON line per optimiser step in ``train-log.jsonl`` (appended
across resumes, so the file shows where a run stopped and went on), a progress call per step, and the
mark that makes a checkpoint count (:func:`opening_train.run_folder.mark_complete`)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from transformers import TrainerCallback

from opening.base.progress import human_duration
from opening_train.run_folder import RunFolder, mark_complete

StepFn = Callable[[int, int, str], None]
"""``(step, total steps, "loss 1.234, 0.8 s/step, about 3 h 10 min left")``."""
NoteFn = Callable[[str], None]
"""A line for the user: the estimate from the first measured step, what the run does next."""


def estimate_line(seconds: float, total_steps: int, pairs: int) -> str:
    """``first step 41.0 s: about 34 min for 400 pairs (50 steps) on this machine``."""
    return (
        f"first step {seconds:.1f} s: about {human_duration(seconds * total_steps)} for {pairs} pairs"
        f" ({total_steps} steps) on this machine"
    )


class StepLog(TrainerCallback):
    def __init__(self, run: RunFolder, on_step: StepFn | None = None, on_note: NoteFn | None = None, pairs: int = 0) -> None:
        self.run, self.on_step, self.on_note, self.pairs = run, on_step, on_note, pairs
        self._t0, self._first = 0.0, 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._t0, self._first = time.monotonic(), state.global_step

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not logs or "loss" not in logs:
            return
        line = {"step": state.global_step, "time": round(time.time(), 3)}
        line.update({k: v for k, v in logs.items() if isinstance(v, (int, float)) and math.isfinite(v)})
        with self.run.log.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
        done = state.global_step - self._first
        per_step = (time.monotonic() - self._t0) / max(1, done)
        if done == 1 and self.on_note is not None:  # the estimate, from this machine's first step of this run
            self.on_note(estimate_line(per_step, state.max_steps, self.pairs))
        if self.on_step is not None:
            left = per_step * (state.max_steps - state.global_step)
            when = f", about {human_duration(left)} left" if left > 0 else ""
            self.on_step(state.global_step, state.max_steps, f"loss {logs['loss']:.4f}, {per_step:.2f} s/step{when}")

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        checkpoint = self.run.checkpoints / f"checkpoint-{state.global_step}"
        if checkpoint.is_dir():
            mark_complete(checkpoint)
