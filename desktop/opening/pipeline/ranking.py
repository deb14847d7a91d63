"""Clean, filter, score and choose: from raw candidates to the best instruction, with reasons.

Every candidate that survives cleaning, rejection and de-duplication is scored, all rows in one batched
pass (:func:`~opening.llama.scoring.mean_nll`):

* NLL — mean NLL per token of the user's text (+ end of sequence) given the instruction, under the
  scoring prompt of its template family (Alpaca prompt for ``opening``, the model's chat template for
  ``chat``). The same text scored alone (after the start-of-text token) gives the baseline, and
  IFD = PPL(text | instruction) / PPL(text) = exp(nll - baseline); IFD >= 1: the instruction does not help.
* r-IFD = PPL(instruction | text) / PPL(instruction): the instruction scored after the first reverse
  prompt around the text, and after the same prompt with no text (:func:`instruction_rows`). Low r-IFD:
  the instruction is specific to this text (a generic "Write something." scores near 1). The rows of
  one prompt share its tokens (the text among them), decoded once for all candidates.

:func:`~opening.pipeline.choice.decide` then chooses under the request's policy.
"""

from __future__ import annotations

import codecs
import math
import time
from dataclasses import dataclass, field

from opening.base.choice import CHOSEN, RIFD_POLICIES, Choice
from opening.base.progress import CancelFn, StageFn
from opening.llama.engine import Engine, GenerationResult
from opening.llama.scoring import Parts, ScoreRow, make_row, token_nll
from opening.pipeline.candidate_clean import clean_candidate
from opening.pipeline.candidate_filter import filter_candidates
from opening.pipeline.choice import decide, helps, policy_score
from opening.pipeline.templates import chat_parts, prompt_pieces, reverse_parts

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
    rifd: float | None = None
    helps: bool | None = None
    """False when IFD is at or above the threshold: the instruction does not make the text more predictable."""
    judge: int | None = None
    """The model's own 1-5 rating of the pair (``--judge``); None: not asked, or no score in the reply."""
    token_nll: list[float] | None = None
    """NLL of each scored token of the text (and the end of text) given the instruction."""

    @property
    def family(self) -> str:
        return self.template.split("/", 1)[0]

    @property
    def prompt_text(self) -> str:
        """The instruction with its input, as one prompt (what r-IFD and the judge read)."""
        return f"{self.instruction}\n\n{self.input}" if self.input else self.instruction


@dataclass
class Ranking:
    candidates: list[RankedCandidate]
    chosen: int | None
    baseline_nll: float | None = None
    """Mean NLL of the text with no instruction at all."""
    rank_ms: float = 0.0
    choice: Choice = Choice()
    best: int | None = None
    """The best-scoring candidate under the policy (chosen, unless it does not help)."""
    status: str = CHOSEN
    """``chosen``, ``rejected`` (every candidate) or ``no_helpful_instruction`` (see opening.base.choice)."""
    judge_ms: float = 0.0
    baseline_token_nll: list[float] | None = None
    """NLL of each token of the text (and the end of text) with no instruction."""
    text_tokens: list[str] | None = None
    """The scored text's tokens as text pieces (the end of text not included)."""
    score_tokens: dict[str, int] = field(default_factory=dict)
    """Tokens decoded for each score (``nll``: the candidates' rows, ``ifd``: the text alone, ``rifd``: its
    two rows per candidate, 0 unless asked for); shared prefixes are decoded once, so this is an upper bound."""

    def token_gain(self, index: int) -> list[float | None] | None:
        """Per token of the text: NLL(token | instruction) − NLL(token | no instruction); negative: the
        instruction helped predict it. The candidate's row and the baseline may split the first tokens
        differently (tokenized after a prompt vs alone): aligned from the end, a token without a
        counterpart is None."""
        cand = self.candidates[index].token_nll
        base = self.baseline_token_nll
        if cand is None or base is None or self.text_tokens is None:
            return None
        n = min(len(cand), len(base))
        gains: list[float | None] = [c - b for c, b in zip(cand[len(cand) - n :], base[len(base) - n :], strict=True)]
        gains = gains[:-1]  # the end of text is not a piece of the text
        width = len(self.text_tokens)
        return ([None] * (width - len(gains)) + gains)[-width:] if width else []

    def order(self) -> list[int]:
        """Candidate indexes best first: scored by the policy, then duplicates, then rejected."""

        def key(c: RankedCandidate) -> tuple[int, float, float, int]:
            if c.nll is not None:
                return (0, policy_score(c, self.choice.policy), c.nll, c.index)
            return (1 if c.rejected is None else 2, 0.0, 0.0, c.index)

        return [c.index for c in sorted(self.candidates, key=key)]

    @property
    def all_rejected(self) -> bool:
        return self.best is None

    def rejection_counts(self) -> dict[str, int]:
        """How many candidates each rejection reason took (the reasons are ids: ``opening.pipeline.candidate_filter``)."""
        reasons: dict[str, int] = {}
        for c in self.candidates:
            if c.rejected:
                reasons[c.rejected] = reasons.get(c.rejected, 0) + 1
        return reasons

    def rejection_summary(self) -> str:
        return ", ".join(f"{reason}: {n}" for reason, n in self.rejection_counts().items())


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


def capped(engine: Engine, text: str, max_tokens: int) -> str:
    """The text cut to its first ``max_tokens`` tokens for scoring (0: the whole text). The filter still
    reads the whole text."""
    if max_tokens <= 0:
        return text
    tokens = engine.model.tokenize(text, add_special=False, parse_special=False)
    return text if len(tokens) <= max_tokens else engine.model.detokenize(tokens[:max_tokens])


def instruction_rows(engine: Engine, cand: RankedCandidate, output: str) -> tuple[ScoreRow, ScoreRow]:
    """The two rows of r-IFD: the instruction after the reverse prompt around the text, and after the
    same prompt with no text. The control keeps the prompt: "What kind of instruction could this be the
    answer to?" alone makes a generic answer ("Write something.") likely, and r-IFD is meant to measure
    what *the text* adds, not the question (scored after a bare start token, the generic instruction got
    the lower r-IFD of the two in tests/test_choice.py)."""
    lead = " " if cand.family == "opening" else ""  # the raw template ends at "X:"; a chat turn at its header
    conditioned = make_row(engine, reverse_parts(engine.model, cand.family, output), lead + cand.prompt_text)
    control = make_row(engine, reverse_parts(engine.model, cand.family, ""), lead + cand.prompt_text)
    return conditioned, control


def rank(
    engine: Engine,
    output: str,
    result: GenerationResult,
    *,
    choice: Choice | None = None,
    cancel: CancelFn | None = None,
    progress: StageFn | None = None,
    also_score: frozenset[str] = frozenset(),
    rifd: bool | None = None,
    scorer: Engine | None = None,
) -> Ranking:
    """Clean, filter, score and choose; ``cancel`` raises :class:`~opening.errors.Cancelled`;
    ``progress`` gets the fraction of the scoring pass done. Candidates rejected only for a reason in
    ``also_score`` still get scores (not chosen): the evaluation compares choices with and without a rule.
    ``rifd``: also score r-IFD (None: when the policy needs it, ``RIFD_POLICIES``); its rows cost about as
    much as the NLL rows again, so a run that does not choose by it does not pay for it (``rifd`` None).
    ``scorer``: the model that scores (default ``engine.scoring``: the attached scorer, else the engine)."""
    choice = choice or Choice()
    with_rifd = choice.policy in RIFD_POLICIES if rifd is None else rifd
    choice.validate()
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
    to_score = [c for c in ranked if (c.rejected is None or c.rejected in also_score) and c.duplicate_of is None]
    scorer = scorer or engine.scoring  # a smaller model, when one is attached (--scorer): it tokenizes for itself
    scored = capped(scorer, output, choice.score_max_tokens)
    rows = [make_row(scorer, scoring_prompt(scorer, c.family, c.instruction, c.input), scored) for c in to_score]
    n = len(to_score)
    if to_score:
        rows.append(baseline_row(scorer, scored))
    if with_rifd:
        for cand in to_score:
            rows.extend(instruction_rows(scorer, cand, scored))
    per_token = token_nll(scorer, rows, cancel=cancel, progress=progress)
    nlls = [sum(t) / len(t) if t else math.nan for t in per_token]
    baseline = nlls[n] if to_score else None
    for k, cand in enumerate(to_score):
        cand.nll = nlls[k]
        cand.token_nll = per_token[k]
        cand.ifd = _ratio(nlls[k], nlls[n])
        cand.rifd = _ratio(nlls[n + 1 + 2 * k], nlls[n + 2 + 2 * k]) if with_rifd else None
        cand.helps = helps(cand, choice)
    decision = decide([c for c in to_score if c.rejected is None], choice)
    ms = (time.perf_counter() - t0) * 1000.0
    ranking = Ranking(ranked, decision.chosen, baseline, ms, choice, decision.best, decision.status)
    ranking.score_tokens = {  # what each score cost: the tokens its rows put through the model
        "nll": sum(len(r.prompt) + len(r.target) for r in rows[:n]),
        "ifd": sum(len(r.prompt) + len(r.target) for r in rows[n : n + 1]),
        "rifd": sum(len(r.prompt) + len(r.target) for r in rows[n + 1 :]),
    }
    if to_score:
        ranking.baseline_token_nll = per_token[n]
        ranking.text_tokens = text_pieces(scorer, [t for t in rows[n].target if t != scorer.model.eos])
    return ranking


def text_pieces(engine: Engine, tokens: list[int]) -> list[str]:
    """Each token as text; a character split over tokens belongs to the token that completes it."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return [decoder.decode(engine.model.piece(t)) for t in tokens]


def _ratio(nll: float, reference: float) -> float | None:
    """exp(nll - reference): a ratio of perplexities (None when either is not finite)."""
    diff = nll - reference
    return math.exp(diff) if math.isfinite(diff) else None
