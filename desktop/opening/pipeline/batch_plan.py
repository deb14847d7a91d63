"""How a batch run will run: how many passages in flight, how many KV cells, and about how long.

* :func:`job_cells` — the cells one passage may use: its distinct prompts (the longest passage in each
  template) plus N × max tokens.
* :func:`choose_parallel` — ``--parallel K``: the user's K, or (0, the default) the K this machine runs
  fastest, from a short measurement of decode-step time at batch sizes N, 2N, 4N … (:mod:`opening.llama.step_probe`),
  capped by the memory the KV cache may take and by the number of passages.
* :func:`estimate_seconds` — before the first passage: prompt tokens at the measured prompt speed,
  candidate steps at the measured step time of K×N sequences, and the scoring pass as prompt tokens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from opening.base.sampling import SamplingParams
from opening.llama.engine import Engine
from opening.llama.step_probe import StepSpeed, probe
from opening.models.memory_fit import available_memory, kv_bytes_per_cell
from opening.pipeline.instruct_prompt import SAMPLE_TEXTS
from opening.pipeline.templates import build_prompts

log = logging.getLogger(__name__)

MAX_PARALLEL = 16
"""Passages in flight at most (and K × N ≤ MAX_SEQUENCES)."""
MAX_SEQUENCES = 64
KV_MEMORY_SHARE = 0.5
"""The KV cache of the passages in flight may take at most this share of the memory available now."""
GAIN_TO_GROW = 1.08
"""Doubling K must raise the measured tokens per second by this much to be worth it (noise, memory)."""
TYPICAL_CANDIDATE_TOKENS = 40
"""Tokens one candidate usually takes (the estimate's guess; max tokens when that is lower)."""
SCORING_OVERHEAD_TOKENS = 90
"""Per candidate, the scoring prompt and the instruction (twice more for r-IFD) beside the text."""


def job_cells(engine: Engine, params: SamplingParams, family: str, longest_tokens: int) -> int:
    """KV cells one passage of up to ``longest_tokens`` tokens may take: the longest frame any language and
    kind of text gets (the instruct prompts' examples and styles depend on them), plus the passage."""
    slack = 8  # a passage inside a template may tokenize a few tokens longer than alone
    frames = []
    for sample in SAMPLE_TEXTS:
        own = len(engine.model.tokenize(sample, add_special=False, parse_special=False))
        prompts = build_prompts(engine.model, sample, family)[: params.n]
        frames.append(sum(len(p.tokens) - own + longest_tokens + slack for p in prompts))
    return max(frames) + params.n * params.max_tokens


@dataclass(frozen=True)
class ParallelChoice:
    k: int
    reason: str
    speed: StepSpeed | None = None


def _k_limits(engine: Engine, params: SamplingParams, cells: int, passages: int) -> tuple[int, str]:
    limit, why = min(MAX_PARALLEL, MAX_SEQUENCES // params.n), f"at most {MAX_SEQUENCES} sequences"
    if passages < limit:
        limit, why = max(1, passages), f"{passages} passages to run"
    free = available_memory()
    per_job = cells * kv_bytes_per_cell(engine.model.info)
    if free is not None and per_job > 0:
        fits = max(1, int(free * KV_MEMORY_SHARE // per_job))
        if fits < limit:
            limit, why = fits, f"the KV cache of {fits} passages fits in half the free memory"
    return limit, why


def choose_parallel(engine: Engine, params: SamplingParams, cells: int, passages: int, requested: int = 0) -> ParallelChoice:
    """K passages in flight: ``requested`` if given (still capped by memory), else the fastest measured."""
    limit, why = _k_limits(engine, params, cells, passages)
    if requested:
        k = min(requested, limit)
        speed = probe(engine, sorted({params.n, k * params.n}))  # for the estimate
        return ParallelChoice(k, "as asked" if k == requested else f"{requested} asked; {why}", speed)
    ks = [1]
    while ks[-1] * 2 <= limit:
        ks.append(ks[-1] * 2)
    if limit not in ks:
        ks.append(limit)
    speed = probe(engine, [k * params.n for k in ks])
    best = 1
    for k in ks[1:]:
        if speed.tokens_per_s(k * params.n) >= GAIN_TO_GROW * speed.tokens_per_s(best * params.n):
            best = k
    rates = ", ".join(f"K={k}: {speed.tokens_per_s(k * params.n):.0f}" for k in ks)
    log.info("decode tokens/s by passages in flight: %s (limit %d: %s)", rates, limit, why)
    reason = f"measured fastest (tokens/s {rates})" + (f"; limit {limit}: {why}" if best == limit and limit > 1 else "")
    return ParallelChoice(best, reason, speed)


def estimate_seconds(speed: StepSpeed, k: int, params: SamplingParams, prompts: int, text_tokens: list[int]) -> float:
    """Seconds for passages of ``text_tokens`` tokens, ``prompts`` distinct prompts each, K in flight."""
    if not text_tokens or speed.prompt_tokens_per_s <= 0:
        return 0.0
    size = k * params.n
    step_s = speed.ms_per_step.get(size, max(speed.ms_per_step.values())) / 1000.0
    steps = min(params.max_tokens, TYPICAL_CANDIDATE_TOKENS) * len(text_tokens) / k
    prompt_tokens = sum(prompts * (t + 40) for t in text_tokens)
    score_tokens = sum(params.n * (t + SCORING_OVERHEAD_TOKENS) + 2 * t for t in text_tokens)
    return steps * step_s + (prompt_tokens + score_tokens) / speed.prompt_tokens_per_s
