"""Sizes the engine works with and the memory estimate must agree with (one definition each)."""

from __future__ import annotations

MAX_CANDIDATES = 10
"""Candidates one request may ask for (the demo's range is 1–10)."""
MAX_BATCH_SEQ_IDS = 3 * MAX_CANDIDATES + 1
"""Sequence ids one batch token may carry: scoring decodes a shared prefix once for every row — per
candidate the text given the instruction and the instruction given the text and alone (r-IFD), plus
the text alone."""
N_BATCH = 512
"""Tokens per llama.cpp decode (batch and micro-batch)."""
CTX_ROUND = 256
"""Contexts are sized in multiples of this many KV cells."""
DEFAULT_CONTEXT_LIMIT = 8192
"""Longest prompt + generation one sequence may use (capped by the model's training context)."""
SCORING_LOGITS_BUDGET = 8 * 1024 * 1024
"""Floats of logits one scoring decode may return (32 MB); a big vocabulary gets fewer scored positions
per decode. llama.cpp holds them twice (the graph's result and the context's output buffer), and every
page of both is resident once written: at 128 MB this was the largest term of a small model's peak
memory, and how much of it a run touched depended on how many instruction tokens its candidates had."""
SOFTMAX_ROWS = 16
"""Logit rows one log-softmax works on at a time (its temporary is this many rows, not all of them)."""


def scoring_outputs_per_decode(n_vocab: int) -> int:
    """Scored positions one scoring decode asks logits for: the budget, within one batch."""
    return max(8, min(N_BATCH, SCORING_LOGITS_BUDGET // max(1, n_vocab)))


MAX_THREADS_SETTING = 1024
"""Thread counts above this in a flag or the settings are refused outright (the rest are clamped to the
machine's CPUs)."""
