"""Clean, filter, score and choose: from raw candidates to the best instruction, with reasons.

Every candidate that survives cleaning, rejection and de-duplication is scored by the mean NLL per
token of the user's text (+ end of sequence) given the instruction, under the scoring prompt of its
template family (Alpaca prompt for ``opening``, the model's chat template for ``chat``). The same text
scored alone (after the start-of-text token) gives the baseline, and IFD = PPL(text | instruction) /
PPL(text) = exp(nll - baseline). The lowest NLL wins; IFD >= 1 means the
instruction does not help predict the text.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from opening.base.progress import CancelFn, StageFn
from opening.llama.engine import Engine, GenerationResult
from opening.llama.scoring import Parts, ScoreRow, make_row, mean_nll
from opening.pipeline.candidate_clean import clean_candidate
from opening.pipeline.candidate_filter import filter_candidates
from opening.pipeline.templates import chat_parts, prompt_pieces

ALPACA = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request."
    "\n\n### Instruction:\n{instruction}\n\n### Response:\n"
)
ALPACA_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request."
    "\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)


@dataclass
class RankedCandidate:
    index: int
    template: str
    raw: str
    instruction: str
    input: str
    tokens: int
    finish_reason: str
    rejected: str | None = None
    duplicate_of: int | None = None
    nll: float | None = None
    ifd: float | None = None

    @property
    def family(self) -> str:
        return self.template.split("/", 1)[0]

    @property
    def helps(self) -> bool | None:
        """False when IFD >= 1: the instruction does not make the text more predictable."""
        return None if self.ifd is None else self.ifd < 1.0


@dataclass
class Ranking:
    candidates: list[RankedCandidate]
    chosen: int | None
    baseline_nll: float | None = None
    """Mean NLL of the text with no instruction at all."""
    rank_ms: float = 0.0

    def order(self) -> list[int]:
        """Candidate indexes best first: scored by NLL, then duplicates, then rejected."""

        def key(c: RankedCandidate) -> tuple[int, float, int]:
            if c.nll is not None:
                return (0, c.nll, c.index)
            return (1 if c.rejected is None else 2, 0.0, c.index)

        return [c.index for c in sorted(self.candidates, key=key)]

    @property
    def all_rejected(self) -> bool:
        return self.chosen is None

    def rejection_summary(self) -> str:
        reasons: dict[str, int] = {}
        for c in self.candidates:
            if c.rejected:
                reasons[c.rejected] = reasons.get(c.rejected, 0) + 1
        return ", ".join(f"{reason}: {n}" for reason, n in reasons.items())


def scoring_prompt(engine: Engine, family: str, instruction: str, extra_input: str) -> Parts:
    if family == "chat":
        content = f"{instruction}\n\n{extra_input}" if extra_input else instruction
        return chat_parts(engine.model, "{text}", content)
    if extra_input:
        return [(ALPACA_INPUT.format(instruction=instruction, input=extra_input), False)]
    return [(ALPACA.format(instruction=instruction), False)]


def baseline_row(engine: Engine, output: str) -> ScoreRow:
    """The text alone after the start-of-text token: PPL(output) of IFD (as Cherry LLM computes it)."""
    model = engine.model
    start = model.bos if model.bos >= 0 else model.eos
    target = model.tokenize(output, add_special=False, parse_special=False) + ([model.eos] if model.eos >= 0 else [])
    return ScoreRow((start,), tuple(target))


def rank(
    engine: Engine,
    output: str,
    result: GenerationResult,
    *,
    cancel: CancelFn | None = None,
    progress: StageFn | None = None,
) -> Ranking:
    """Clean, filter, score and choose; ``cancel`` raises :class:`~opening.errors.Cancelled`;
    ``progress`` gets the fraction of the scoring pass done."""
    t0 = time.perf_counter()
    cleaned = [clean_candidate(c.text) for c in result.candidates]
    verdicts = filter_candidates(
        cleaned,
        output,
        [c.finish_reason for c in result.candidates],
        [prompt_pieces(c.template) for c in result.candidates],
    )
    ranked = [
        RankedCandidate(
            index=c.index,
            template=c.template,
            raw=c.text,
            instruction=clean.instruction,
            input=clean.input,
            tokens=c.tokens,
            finish_reason=c.finish_reason,
            rejected=v.rejected,
            duplicate_of=v.duplicate_of,
        )
        for c, clean, v in zip(result.candidates, cleaned, verdicts, strict=True)
    ]
    to_score = [c for c in ranked if c.rejected is None and c.duplicate_of is None]
    rows = [make_row(engine, scoring_prompt(engine, c.family, c.instruction, c.input), output) for c in to_score]
    if to_score:
        rows.append(baseline_row(engine, output))
    nlls = mean_nll(engine, rows, cancel=cancel, progress=progress)
    baseline = nlls[-1] if to_score else None
    for cand, nll in zip(to_score, nlls[:-1], strict=True):
        cand.nll = nll
        cand.ifd = math.exp(nll - nlls[-1]) if math.isfinite(nll - nlls[-1]) else None
    chosen = min(to_score, key=lambda c: (c.nll, c.index)).index if to_score else None
    return Ranking(ranked, chosen, baseline, (time.perf_counter() - t0) * 1000.0)
