"""How a run chooses among its scored candidates, and the words for what it decided (one home for both
the CLI's flags, the window's settings and the batch records).

* ``policy`` — what "best" means: ``nll`` (lowest mean NLL of the text given the instruction), ``ifd``
  (the same order: IFD = exp(NLL - the text's own NLL)), ``rifd`` (lowest r-IFD = PPL(instruction |
  text) / PPL(instruction): the instruction most specific to this text), ``combined`` (lowest IFD x
  r-IFD: helps predict the text *and* is specific to it).
* ``helps_below`` — an instruction helps when its IFD is below this; when none does, nothing is chosen
  (status ``no_helpful_instruction``) unless ``save_anyway``.
* ``judge`` — also ask the model to rate each pair 1-5 (recorded and shown; it does not change the choice).
* ``score_max_tokens`` — score at most this many tokens of the text (0: all of it); bounds the scoring
  cost of long passages, as the IFD reference implementation truncates to 512.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from opening.base.errors import BadInput

POLICIES = ("nll", "ifd", "rifd", "combined")
RIFD_POLICIES = ("rifd", "combined")
"""The policies that need r-IFD: only these pay for its two extra rows per candidate (each as long as
the text plus the instruction)."""
DEFAULT_POLICY = "nll"
"""Picked on tests/data/dev_pairs.jsonl: with Gemma-3-270M and SmolLM2, lowest NLL chose as well as or
better than r-IFD and the combination on every measure (docs/choice.md has the tables)."""
DEFAULT_HELPS_BELOW = 1.0
DEFAULT_SCORE_MAX_TOKENS = 512

# what a run decided (the batch records' ``status`` uses the same words)
CHOSEN = "chosen"
REJECTED = "rejected"
"""Every candidate was rejected by the filter (or none was generated)."""
NO_HELPFUL = "no_helpful_instruction"
"""Candidates were scored, but none has IFD below the threshold."""


@dataclass(frozen=True)
class Choice:
    policy: str = DEFAULT_POLICY
    helps_below: float = DEFAULT_HELPS_BELOW
    save_anyway: bool = False
    judge: bool = False
    score_max_tokens: int = DEFAULT_SCORE_MAX_TOKENS

    def validate(self) -> None:
        if self.policy not in POLICIES:
            raise BadInput("choice.unknown_policy", policy=self.policy, known=", ".join(POLICIES))
        if not (math.isfinite(self.helps_below) and 0 < self.helps_below <= 100):
            raise BadInput("choice.bad_threshold", got=self.helps_below)
        if isinstance(self.score_max_tokens, bool) or not 0 <= self.score_max_tokens <= 1_000_000:
            raise BadInput("choice.bad_score_cap", got=self.score_max_tokens)
