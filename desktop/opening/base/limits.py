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
SCORING_LOGITS_BUDGET = 32 * 1024 * 1024
"""Floats of logits one scoring decode may return (128 MB); a big vocabulary gets fewer scored
positions per decode."""
MAX_THREADS_SETTING = 1024
"""Thread counts above this in a flag or the settings are refused outright (the rest are clamped to the
machine's CPUs)."""
