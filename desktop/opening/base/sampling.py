"""The sampling parameters of one request, their checks, and the demo form's ranges (one home for both
the CLI's defaults and the window's sliders). No llama.cpp import: the fit estimate uses them too."""

from __future__ import annotations

import math
from dataclasses import dataclass

from opening.base.errors import BadInput
from opening.base.limits import MAX_CANDIDATES

MAX_TOP_K = 1 << 20
"""Far beyond any vocabulary; llama.cpp takes top-k as a 32-bit integer."""
MAX_MAX_TOKENS = 1 << 20
"""Far beyond any context; the context check gives the precise limit."""


@dataclass
class SamplingParams:
    """The demo's parameters and defaults (temperature 0.3, top-p 0.9, top-k 40, N 5, 256 tokens)."""

    temperature: float = 0.3
    top_p: float = 0.9
    top_k: int = 40
    n: int = 5
    max_tokens: int = 256
    seed: int | None = None

    def validate(self) -> None:
        if not 1 <= self.n <= MAX_CANDIDATES:
            raise BadInput("params.n", high=MAX_CANDIDATES, got=self.n)
        if not (math.isfinite(self.temperature) and 0 <= self.temperature <= 100):
            raise BadInput("params.temperature", got=self.temperature)
        if not 0 < self.top_p <= 1:  # also refuses NaN
            raise BadInput("params.top_p", got=self.top_p)
        if not 0 <= self.top_k <= MAX_TOP_K:
            raise BadInput("params.top_k", high=MAX_TOP_K, got=self.top_k)
        if not 1 <= self.max_tokens <= MAX_MAX_TOKENS:
            raise BadInput("params.max_tokens", high=MAX_MAX_TOKENS, got=self.max_tokens)
        if self.seed is not None and not 0 <= self.seed < 2**32 - 1:
            raise BadInput("params.seed", high=2**32 - 2, got=self.seed)


@dataclass(frozen=True)
class FormRange:
    """One parameter of the original demo's form: its range and slider step (the default is the
    :class:`SamplingParams` default)."""

    key: str
    minimum: float
    maximum: float
    step: float
    decimals: int = 0

    @property
    def default(self) -> float:
        return float(getattr(SamplingParams(), self.key))


FORM_RANGES = (
    FormRange("temperature", 0.0, 1.0, 0.05, 2),
    FormRange("top_p", 0.01, 1.0, 0.05, 2),  # the engine refuses 0
    FormRange("top_k", 0, 100, 1),
    FormRange("n", 1, MAX_CANDIDATES, 1),
    FormRange("max_tokens", 128, 2000, 16),
)
