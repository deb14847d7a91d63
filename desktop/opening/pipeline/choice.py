"""Choose among scored candidates under a :class:`~opening.base.choice.Choice`, and say why.

The order (best first) is by the policy's score; the chosen candidate is the best one that *helps*
(IFD below the threshold). When none helps the run chooses nothing (``no_helpful_instruction``) unless
the user asked to save anyway, in which case the best one is taken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from opening.base.choice import CHOSEN, NO_HELPFUL, REJECTED, Choice


class Scored(Protocol):
    index: int
    nll: float | None
    ifd: float | None
    rifd: float | None


def policy_score(cand: Scored, policy: str) -> float:
    """Lower is better; a missing score ranks last."""
    if policy == "nll" or cand.ifd is None:
        return cand.nll if cand.nll is not None else math.inf
    if policy == "ifd" or cand.rifd is None:  # without r-IFD, IFD (the same order as NLL)
        return cand.ifd
    if policy == "rifd":
        return cand.rifd
    if cand.ifd <= 0 or cand.rifd <= 0:
        return math.inf
    return math.log(cand.ifd) + math.log(cand.rifd)


def helps(cand: Scored, choice: Choice) -> bool | None:
    return None if cand.ifd is None else cand.ifd < choice.helps_below


@dataclass(frozen=True)
class Decision:
    best: int | None
    """The best-scoring candidate under the policy, whether it helps or not."""
    chosen: int | None
    status: str


def decide(scored: Sequence[Scored], choice: Choice) -> Decision:
    """``scored``: the candidates that got scores (not rejected, not duplicates)."""
    if not scored:
        return Decision(None, None, REJECTED)

    def key(c: Scored) -> tuple[float, float, int]:
        return (policy_score(c, choice.policy), c.nll if c.nll is not None else math.inf, c.index)

    best = min(scored, key=key).index
    helpful = [c for c in scored if helps(c, choice)]
    if helpful:
        return Decision(best, min(helpful, key=key).index, CHOSEN)
    return Decision(best, best if choice.save_anyway else None, NO_HELPFUL)
