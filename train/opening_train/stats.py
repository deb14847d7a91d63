"""The report beside a reversed training set: counts per source, template, language and task category,
what was dropped and why, and length histograms in tokens of the chosen tokenizer (the one the model
will be trained and run with), with the share over the original's 512-token training length."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from opening_train.mix import MixReport
from opening_train.reverse import Reversed

BUCKETS = (32, 64, 128, 256, 512, 1024, 2048)
MAX_LENGTH = 512
"""The original's training length (prompt and target together)."""


def histogram(lengths: Sequence[int]) -> dict[str, int]:
    counts = Counter(next((f"≤{b}" for b in BUCKETS if n <= b), f">{BUCKETS[-1]}") for n in lengths)
    return {label: counts.get(label, 0) for label in [*(f"≤{b}" for b in BUCKETS), f">{BUCKETS[-1]}"]}


def build_report(
    examples: Sequence[Reversed], mix: MixReport, count_tokens: Callable[[str], int], *, total: int, seed: int, tokenizer: str
) -> dict[str, Any]:
    prompt = [count_tokens(e.prompt) for e in examples]
    target = [count_tokens(e.target) for e in examples]
    over = sum(1 for p, t in zip(prompt, target, strict=True) if p + t > MAX_LENGTH)
    return {
        "examples": len(examples),
        "asked": total,
        "seed": seed,
        "read": mix.read,
        "unusable": mix.unusable,
        "exact_duplicates": mix.exact_duplicates,
        "near_duplicates": mix.near_duplicates,
        "by_source": dict(Counter(e.source for e in examples)),
        "by_template": dict(Counter(e.template for e in examples)),
        "by_language": dict(Counter(e.lang for e in examples)),
        "by_category": dict(Counter(e.category for e in examples).most_common()),
        "tokenizer": tokenizer,
        "prompt_tokens": histogram(prompt),
        "target_tokens": histogram(target),
        "over_max_length": {"limit": MAX_LENGTH, "examples": over},
    }
