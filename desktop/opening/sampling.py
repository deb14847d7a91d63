"""The sampling parameters of one request (no llama.cpp import: the fit estimate and `opening models` use them)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BadInput

MAX_CANDIDATES = 10


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
            raise BadInput(f"the number of candidates must be between 1 and {MAX_CANDIDATES} (got {self.n})")
        if not self.temperature >= 0:  # also catches NaN
            raise BadInput(f"temperature must be 0 or more (got {self.temperature})")
        if not 0 < self.top_p <= 1:
            raise BadInput(f"top-p must be in (0, 1] (got {self.top_p})")
        if self.top_k < 0:
            raise BadInput(f"top-k must be 0 (off) or more (got {self.top_k})")
        if self.max_tokens < 1:
            raise BadInput(f"max tokens must be at least 1 (got {self.max_tokens})")
        if self.seed is not None and not 0 <= self.seed < 2**32 - 1:
            raise BadInput(f"seed must be between 0 and {2**32 - 2} (got {self.seed})")
