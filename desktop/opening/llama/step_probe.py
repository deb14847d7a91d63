"""How fast this machine runs this model: milliseconds per decode step at several batch sizes, and prompt
tokens per second — a short measurement (about a second on a small model) that batch mode plans with.

The probe decodes a short prompt on sequence 0, copies it to every sequence, then times a few steps of
one token per sequence at each size (the first step of each size is a warm-up and not counted).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import llama_cpp.llama_cpp as L

from opening.base.errors import ModelError
from opening.base.limits import N_BATCH
from opening.llama.context import LlamaContext
from opening.llama.engine import Engine

PROBE_PROMPT = 128
"""Prompt tokens timed for the prompt speed (and the prefix every sequence steps after)."""
PROBE_STEPS = 3


@dataclass(frozen=True)
class StepSpeed:
    ms_per_step: dict[int, float]
    """Batch size (sequences stepping together) → milliseconds per decode."""
    prompt_tokens_per_s: float

    def tokens_per_s(self, size: int) -> float:
        return 1000.0 * size / self.ms_per_step[size]


def probe(engine: Engine, sizes: list[int]) -> StepSpeed:
    """Time decode steps at each batch size in ``sizes`` (ascending) and a prompt of PROBE_PROMPT tokens."""
    top = max(sizes)
    ctx = engine.context(PROBE_PROMPT + top * (len(sizes) * (PROBE_STEPS + 1)) + 1, top)
    ctx.clear()
    token = engine.model.bos if engine.model.bos >= 0 else 0
    n_prompt = min(PROBE_PROMPT, N_BATCH)
    for k in range(n_prompt):
        ctx.put(k, token, k, 0, k == n_prompt - 1)
    t0 = time.perf_counter()
    _decode(ctx, n_prompt)
    prompt_s = time.perf_counter() - t0
    for seq in range(1, top):
        L.llama_memory_seq_cp(ctx.memory, 0, seq, -1, -1)
    pos = [n_prompt] * top  # each sequence's positions must stay consecutive
    speeds: dict[int, float] = {}
    for size in sorted(sizes):
        times = []
        for _ in range(PROBE_STEPS + 1):
            for b in range(size):
                ctx.put(b, token, pos[b], b, True)
                pos[b] += 1
            t0 = time.perf_counter()
            _decode(ctx, size)
            times.append(time.perf_counter() - t0)
        speeds[size] = 1000.0 * min(times[1:])
    ctx.clear()
    return StepSpeed(speeds, n_prompt / prompt_s if prompt_s > 0 else 0.0)


def _decode(ctx: LlamaContext, n: int) -> None:
    rc = ctx.decode(n)
    if rc != 0:
        raise ModelError("llama.decode_failed_measuring", rc=rc)
