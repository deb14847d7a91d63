"""Teacher-forced scoring: mean NLL per token of a target given a prompt, many rows in one batch.

Rows are packed into the same batch with distinct sequence ids, and the tokens they share (as a
prefix) are decoded once for all of them; logits are requested only at the positions whose next
token belongs to a target, and the log-softmax is taken in numpy over all of them at once. Rows
longer than one batch continue in the next decode (the KV cache keeps them).
"""

from __future__ import annotations

import ctypes
import logging
from dataclasses import dataclass

import llama_cpp.llama_cpp as L
import numpy as np

from opening.base.errors import BadInput, Cancelled, ModelError
from opening.base.limits import MAX_BATCH_SEQ_IDS, SOFTMAX_ROWS, scoring_outputs_per_decode
from opening.base.progress import CancelFn, StageFn
from opening.llama.context import LlamaContext
from opening.llama.engine import Engine
from opening.llama.model import tokenize_parts

log = logging.getLogger(__name__)


Parts = list[tuple[str, bool]]

MAX_ROWS = MAX_BATCH_SEQ_IDS
"""Rows one pass can score (three per candidate plus the baseline: see opening.pipeline.ranking)."""


@dataclass(frozen=True)
class ScoreRow:
    prompt: tuple[int, ...]
    target: tuple[int, ...]


def make_row(engine: Engine, prompt_parts: Parts, target_text: str, *, add_eos: bool = True) -> ScoreRow:
    """Tokenize prompt + target *together* and cut at the prompt's length (SentencePiece adds a space
    prefix to every separate call, and BPE may merge across the boundary: never concatenate)."""
    model = engine.model
    prompt_ids = tokenize_parts(model, prompt_parts)
    full_ids = tokenize_parts(model, [*prompt_parts, (target_text, False)])
    k = 0
    limit = min(len(prompt_ids), len(full_ids))
    while k < limit and prompt_ids[k] == full_ids[k]:
        k += 1
    if k < len(prompt_ids):
        log.debug("prompt and target merge at the boundary: scoring from token %d of %d", k, len(prompt_ids))
    target = full_ids[k:]
    if add_eos and model.eos >= 0:
        target.append(model.eos)
    if k == 0 or not target:
        raise BadInput("scoring.empty")
    return ScoreRow(tuple(full_ids[:k]), tuple(target))


@dataclass(frozen=True)
class PlanToken:
    """One token decoded once for every row in ``rows`` (they agree up to and including it)."""

    pos: int
    token: int
    rows: tuple[int, ...]
    predicts: tuple[tuple[int, int], ...]
    """(row, next target token) for each row whose next token is scored from this position's logits."""


def decode_plan(rows: list[ScoreRow]) -> list[PlanToken]:
    """The rows' tokens as a prefix tree, depth first: a prefix that several rows share (the scoring
    template's preamble, and the opening words candidates often have in common, e.g. a task
    definition followed by different inputs) is decoded once, as one batch token carrying all their
    sequence ids. Depth-first order keeps llama.cpp's batch rules: a shared token comes before the
    tokens of every row under it, and each row's positions stay consecutive."""
    seqs = [row.prompt + row.target for row in rows]
    first_scored = [len(row.prompt) - 1 for row in rows]
    plan: list[PlanToken] = []
    stack: list[tuple[tuple[int, ...], int]] = [(tuple(range(len(rows))), 0)]
    while stack:
        members, j = stack.pop()
        while True:
            live = [m for m in members if j < len(seqs[m])]
            if not live:
                break
            branches: dict[int, list[int]] = {}
            for m in live:
                branches.setdefault(seqs[m][j], []).append(m)
            if len(branches) > 1:
                # the first branch is decoded first: push in reverse
                stack.extend((tuple(group), j) for group in reversed(branches.values()))
                break
            predicts = tuple((m, seqs[m][j + 1]) for m in live if first_scored[m] <= j < len(seqs[m]) - 1)
            plan.append(PlanToken(j, seqs[live[0]][j], tuple(live), predicts))
            members = tuple(live)
            j += 1
    return plan


def mean_nll(
    engine: Engine, rows: list[ScoreRow], *, cancel: CancelFn | None = None, progress: StageFn | None = None
) -> list[float]:
    """Mean negative log-likelihood per target token of each row (natural log); see :func:`token_nll`."""
    return [float(np.mean(t)) if t else float("nan") for t in token_nll(engine, rows, cancel=cancel, progress=progress)]


def token_nll(
    engine: Engine, rows: list[ScoreRow], *, cancel: CancelFn | None = None, progress: StageFn | None = None
) -> list[list[float]]:
    """The NLL of every target token of each row, in order (natural log).

    All rows go through one plan (:func:`decode_plan`): the tokens they share are decoded once. ``cancel``
    is polled between batches and inside each decode (a big batch of a 7B model takes seconds); it
    raises :class:`Cancelled`. ``progress`` gets ``("scoring", fraction of the plan decoded)`` after every batch.
    """
    if not rows:
        return []
    if len(rows) > MAX_ROWS:
        raise BadInput("scoring.too_many_rows", rows=len(rows), limit=MAX_ROWS)
    longest = max(len(r.prompt) + len(r.target) for r in rows)
    if longest > engine.context_limit:
        raise BadInput("scoring.row_too_long", tokens=longest, limit=engine.context_limit)
    plan = decode_plan(rows)
    ctx = engine.context(len(plan) + 1, len(rows), exact=True)
    ctx.clear()
    per_row: list[list[float]] = [[] for _ in rows]
    ctx.set_abort(cancel)
    try:
        _decode_and_score(engine, ctx, plan, per_row, cancel, progress)
    finally:
        ctx.set_abort(None)
    return per_row


def _decode_and_score(
    engine: Engine,
    ctx: LlamaContext,
    plan: list[PlanToken],
    per_row: list[list[float]],
    cancel: CancelFn | None = None,
    progress: StageFn | None = None,
) -> None:
    """Decode ``plan`` in as few batches as the batch size and the logits budget allow; append each
    scored position's NLL to its rows (a row's positions come in order: the plan keeps them consecutive)."""
    max_outputs = scoring_outputs_per_decode(engine.model.n_vocab)
    # a finished row's cells are freed after the decode that ends it: attention (without flash attention)
    # runs over every used cell of the unified cache, so keeping only the live rows' cells matters
    last_token = {r: i for i, item in enumerate(plan) for r in item.rows}
    finishing = sorted((i, r) for r, i in last_token.items())
    begin = 0
    while begin < len(plan):
        out_of: list[int] = []  # for each (row, target) pair: which output row of the logits
        wanted_rows: list[int] = []
        wanted_ids: list[int] = []
        k = n_out = 0
        while begin + k < len(plan) and k < ctx.n_batch and n_out < max_outputs:
            item = plan[begin + k]
            ctx.put(k, item.token, item.pos, item.rows, bool(item.predicts))
            if item.predicts:
                for r, nxt in item.predicts:
                    out_of.append(n_out)
                    wanted_rows.append(r)
                    wanted_ids.append(nxt)
                n_out += 1
            k += 1
        begin += k
        rc = ctx.decode(k)
        if rc == 2 or (cancel and cancel()):
            raise Cancelled("scoring.cancelled")
        if rc != 0:
            raise ModelError("llama.decode_failed_scoring", rc=rc)
        if n_out:
            _add_nll(engine, ctx, n_out, out_of, wanted_rows, wanted_ids, per_row)
        while finishing and finishing[0][0] < begin:
            L.llama_memory_seq_rm(ctx.memory, finishing.pop(0)[1], -1, -1)
        if progress:
            progress("scoring", begin / len(plan))


def _add_nll(
    engine: Engine,
    ctx: LlamaContext,
    n_out: int,
    out_of: list[int],
    wanted_rows: list[int],
    wanted_ids: list[int],
    per_row: list[list[float]],
) -> None:
    """Log-softmax of the last decode's ``n_out`` logit rows; each (row, target) pair's NLL appended to its row."""
    n_vocab = engine.model.n_vocab
    ptr = L.llama_get_logits(ctx.ptr)
    logits = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(n_out, n_vocab))
    lse = np.empty(n_out, dtype=np.float64)
    for start in range(0, n_out, SOFTMAX_ROWS):  # a few rows at a time: the temporary stays small
        block = logits[start : start + SOFTMAX_ROWS]
        peak = block.max(axis=1)
        shifted = np.subtract(block, peak[:, None])  # exponentiated in place
        np.exp(shifted, out=shifted)
        lse[start : start + len(block)] = peak.astype(np.float64) + np.log(shifted.sum(axis=1).astype(np.float64))
    nll = lse[out_of] - logits[out_of, wanted_ids]
    for r, value in zip(wanted_rows, nll.tolist(), strict=True):
        per_row[r].append(value)
