"""Teacher-forced scoring: mean NLL per token of a target given a prompt, many rows in one batch.

Rows are packed into the same batch with distinct sequence ids; logits are requested only at the
positions whose next token belongs to a target, and the log-softmax is taken in numpy over all of
them at once. Rows longer than one batch continue in the next decode (the KV cache keeps them).
"""

from __future__ import annotations

import ctypes
import logging
from dataclasses import dataclass

import llama_cpp.llama_cpp as L
import numpy as np

from .engine import CancelFn, Engine, LlamaContext
from .errors import BadInput, Cancelled, ModelError
from .templates import tokenize_parts

log = logging.getLogger(__name__)

LOGITS_BUDGET = 32 * 1024 * 1024
"""Floats of logits one decode may return (128 MB); a big vocabulary gets fewer scored positions per decode."""

Parts = list[tuple[str, bool]]


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
        raise BadInput("nothing to score: empty prompt or target")
    return ScoreRow(tuple(full_ids[:k]), tuple(target))


def _shared_prefix(rows: list[ScoreRow]) -> tuple[int, list[int]]:
    """The prefix that the templated rows share, and which rows those are.

    Rows whose prompt is a single token (the no-instruction baseline) are left out of the group; the
    prefix stops short of every member's last prompt token, which needs logits.
    """
    group = [r for r, row in enumerate(rows) if len(row.prompt) > 1]
    if len(group) < 2:
        return 0, []
    first = rows[group[0]].prompt
    n = min(len(rows[r].prompt) for r in group) - 1
    for r in group[1:]:
        k = 0
        while k < n and rows[r].prompt[k] == first[k]:
            k += 1
        n = k
    return n, group if n > 0 else []


def mean_nll(engine: Engine, rows: list[ScoreRow], *, cancel: CancelFn | None = None) -> list[float]:
    """Mean negative log-likelihood per target token of each row (natural log).

    The prefix all rows share (the scoring template's preamble) is decoded once and its cache copied
    to every row's sequence, as the engine does for candidate prompts. ``cancel`` is polled between
    batches and inside each decode (a big batch of a 7B model takes seconds); it raises :class:`Cancelled`.
    """
    if not rows:
        return []
    longest = max(len(r.prompt) + len(r.target) for r in rows)
    if longest > engine.context_limit:
        raise BadInput(f"a scoring row takes {longest} tokens; the context holds {engine.context_limit}")
    shared, group = _shared_prefix(rows)
    members = set(group)
    total = shared + sum(len(r.prompt) + len(r.target) - (shared if i in members else 0) for i, r in enumerate(rows))
    ctx = engine.context(total + 1, len(rows), exact=True)
    L.llama_memory_clear(ctx.memory, True)
    # (sequence, position, token, target id predicted from this position or -1)
    lead = group[0] if group else 0
    prefix = [(lead, j, tok, -1) for j, tok in enumerate(rows[lead].prompt[:shared])]
    rest: list[tuple[int, int, int, int]] = []
    for r, row in enumerate(rows):
        tokens = row.prompt + row.target
        start = len(row.prompt) - 1
        for j in range(shared if r in members else 0, len(tokens)):
            rest.append((r, j, tokens[j], tokens[j + 1] if start <= j < len(tokens) - 1 else -1))
    sums = np.zeros(len(rows))
    counts = np.zeros(len(rows), dtype=np.int64)
    ctx.set_abort(cancel)
    try:
        _decode_and_score(engine, ctx, prefix, sums, counts, cancel)
        for r in group[1:]:
            L.llama_memory_seq_cp(ctx.memory, lead, r, -1, -1)
        _decode_and_score(engine, ctx, rest, sums, counts, cancel)
    finally:
        ctx.set_abort(None)
    return [float(s / c) if c else float("nan") for s, c in zip(sums, counts)]


def _decode_and_score(
    engine: Engine, ctx: LlamaContext, items: list[tuple[int, int, int, int]], sums: np.ndarray, counts: np.ndarray,
    cancel: CancelFn | None = None,
) -> None:
    """Decode ``items`` in as few batches as the batch size and the logits budget allow; add each
    wanted position's NLL to its row."""
    n_vocab = engine.model.n_vocab
    batch = ctx.batch
    max_outputs = max(8, LOGITS_BUDGET // n_vocab)
    begin = 0
    while begin < len(items):
        wanted_rows: list[int] = []
        wanted_ids: list[int] = []
        k = 0
        while begin + k < len(items) and k < ctx.n_batch and len(wanted_ids) < max_outputs:
            r, j, tok, nxt = items[begin + k]
            batch.token[k] = tok
            batch.pos[k] = j
            batch.n_seq_id[k] = 1
            batch.seq_id[k][0] = r
            batch.logits[k] = nxt >= 0
            if nxt >= 0:
                wanted_rows.append(r)
                wanted_ids.append(nxt)
            k += 1
        begin += k
        rc = ctx.decode(k)
        if rc == 2 or (cancel and cancel()):
            raise Cancelled("scoring was cancelled")
        if rc != 0:
            raise ModelError(f"llama.cpp failed to decode while scoring (code {rc})")
        if not wanted_ids:
            continue
        ptr = L.llama_get_logits(ctx.ptr)
        logits = np.ctypeslib.as_array(
            ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(len(wanted_ids), n_vocab)
        )
        peak = logits.max(axis=1)
        lse = peak.astype(np.float64) + np.log(np.exp(logits - peak[:, None]).sum(axis=1, dtype=np.float64))
        nll = lse - logits[np.arange(len(wanted_ids)), wanted_ids]
        np.add.at(sums, wanted_rows, nll)
        np.add.at(counts, wanted_rows, 1)
