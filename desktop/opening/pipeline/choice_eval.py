"""How good are the choices? Generate candidates for the outputs of gold (instruction, output) pairs and
measure, for each way of choosing, how close the chosen instruction comes to the gold one.

Closeness is ROUGE-L F1 over words (each CJK character one unit, so Chinese is compared by character).
For every text the same candidates are judged by every variant:

* ``before`` — the rule before leakage checks and thresholds: lowest NLL among the candidates the filter
  kept, a candidate that copies the text included, saved whether it helps or not;
* ``nll`` / ``ifd`` / ``rifd`` / ``combined`` — the policies as they run now (leakage rule on); the pick is
  the policy's best candidate, and "nothing helps" counts the texts where it would save nothing.

Per variant: share of texts where the pick is at least as close to the gold as the mean candidate, the
mean ROUGE-L of the picks over that of all candidates, the share of picks that copy the text, the share
of "nothing helps"; and per run the seconds per text and the gold instructions the filter would reject.

For the default policy, one more line reads what a person would notice (:func:`quality_line`): the picks
in the text's language, refusals and references to an unseen text among all candidates and among the
picks, the texts where nothing is chosen, and how much worse the pick predicts the text than the human
instruction does (NLL(text | chosen) − NLL(text | gold), nats per token).

The gold instruction is also scored as one more candidate (in the same pass; the others' scores do not
depend on it), and "gold wins" is the share of texts where the variant would pick it over every
generated candidate: a ceiling on what the scores can do. When the model's scores rarely prefer the
human instruction, no rule built on them can bring the choice much closer to it.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from opening.base.checks import regular_file
from opening.base.choice import NO_HELPFUL, POLICIES, Choice
from opening.base.errors import BadInput, describe_os_error
from opening.base.sampling import SamplingParams
from opening.llama.engine import Candidate, Engine
from opening.pipeline.candidate_clean import CleanCandidate
from opening.pipeline.candidate_filter import COPIES, copies_text, judge, words
from opening.pipeline.choice import decide
from opening.pipeline.instruct_prompt import text_language
from opening.pipeline.junk_rules import REFUSAL, UNSEEN, junk_reason
from opening.pipeline.ranking import RankedCandidate, rank
from opening.pipeline.request import Request, generate_candidates

BEFORE = "before"
VARIANTS = (BEFORE, *POLICIES)


@dataclass(frozen=True)
class DevPair:
    instruction: str
    output: str
    task: str = ""
    lang: str = ""


def load_dev_pairs(path: Path) -> list[DevPair]:
    """Read a JSONL file of ``{"instruction", "output"}`` objects (``task`` and ``lang`` optional)."""
    regular_file(path, "what.dev_set")
    try:
        lines = path.read_bytes().decode("utf-8-sig").splitlines()
    except OSError as exc:
        raise BadInput("path.cannot_read", path=path, reason=describe_os_error(exc)) from None
    except UnicodeDecodeError as exc:
        raise BadInput("text.file_not_utf8", path=path, offset=exc.start) from None
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput("dev.line_not_json", path=path, line=number, detail=exc.msg) from None
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) and item[k].strip() for k in ("instruction", "output")
        ):
            raise BadInput("dev.line_not_pair", path=path, line=number)
        pairs.append(DevPair(item["instruction"], item["output"], str(item.get("task", "")), str(item.get("lang", ""))))
    if not pairs:
        raise BadInput("dev.empty", path=path)
    return pairs


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1: the longest common subsequence of units over both lengths."""
    a, b = words(candidate), words(reference)
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


@dataclass
class TextOutcome:
    pair: DevPair
    candidate_rouge: list[float]
    """ROUGE-L of every candidate with an instruction (the generator's sample, the same for all variants)."""
    picks: dict[str, RankedCandidate | None]
    nothing_helps: dict[str, bool]
    seconds: float
    gold_wins: dict[str, bool] = field(default_factory=dict)
    candidates: list[RankedCandidate] = field(default_factory=list)
    gold_nll: float | None = None
    rank_seconds: float = 0.0
    own: RankedCandidate | None = None
    """With a scorer attached: the ``nll`` pick when the generator scores the same candidates itself."""
    own_rank_seconds: float = 0.0


def pick(candidates: list[RankedCandidate], variant: str, helps_below: float) -> tuple[RankedCandidate | None, bool]:
    """The variant's pick among one text's ranked candidates, and whether it finds that nothing helps."""
    by_index = {c.index: c for c in candidates}
    if variant == BEFORE:
        pool = [c for c in candidates if c.nll is not None and c.rejected in (None, COPIES)]
        best = min(pool, key=lambda c: (c.nll, c.index), default=None)
        return best, False
    decision = decide([c for c in candidates if c.nll is not None and c.rejected is None], Choice(variant, helps_below))
    return (by_index[decision.best] if decision.best is not None else None), decision.status == NO_HELPFUL


def evaluate_text(
    engine: Engine, pair: DevPair, params: SamplingParams, family: str, helps_below: float, early_stop: bool = True
) -> TextOutcome:
    t0 = time.perf_counter()
    result = generate_candidates(engine, Request(pair.output, params, family, early_stop=early_stop))
    generated = len(result.candidates)
    template = result.candidates[0].template if result.candidates else "opening/instruction"
    result.candidates.append(Candidate(generated, template, pair.instruction, 0, "eog"))  # the gold, scored alongside
    t_rank = time.perf_counter()
    ranking = rank(engine, pair.output, result, choice=Choice("nll", helps_below), also_score=frozenset({COPIES}), rifd=True)
    rank_seconds = time.perf_counter() - t_rank
    own, own_seconds = None, 0.0
    if engine.scorer is not None:  # the generator scores the same candidates too: does the scorer agree?
        t_own = time.perf_counter()
        result.candidates.pop()  # without the gold, as a run scores them
        mine = rank(engine, pair.output, result, choice=Choice("nll", helps_below), scorer=engine)
        own_seconds = time.perf_counter() - t_own
        own = mine.candidates[mine.chosen] if mine.chosen is not None else None
    candidates = ranking.candidates[:generated]
    rouge = [rouge_l(c.prompt_text, pair.instruction) for c in candidates if c.instruction.strip()]
    picks, nothing, gold_wins = {}, {}, {}
    for variant in VARIANTS:
        picks[variant], nothing[variant] = pick(candidates, variant, helps_below)
        with_gold, _ = pick(ranking.candidates, variant, helps_below)
        gold_wins[variant] = with_gold is not None and with_gold.index == generated
    gold_nll = ranking.candidates[generated].nll
    seconds = time.perf_counter() - t0 - own_seconds
    return TextOutcome(pair, rouge, picks, nothing, seconds, gold_wins, candidates, gold_nll, rank_seconds, own, own_seconds)


@dataclass
class VariantSummary:
    variant: str
    picked: int = 0
    at_least_mean: float = 0.0
    beats_mean: float = 0.0
    """Share of picks strictly closer to the gold than the mean candidate."""
    rouge_chosen: float = 0.0
    rouge_mean: float = 0.0
    leakage: float = 0.0
    nothing_helps: float = 0.0
    gold_wins: float = 0.0

    @property
    def ratio(self) -> float:
        return self.rouge_chosen / self.rouge_mean if self.rouge_mean else float("nan")


@dataclass
class EvalSummary:
    texts: int
    seconds_per_text: float
    gold_rejected: float
    """Share of the gold instructions the candidate filter would reject (its false positives)."""
    variants: list[VariantSummary] = field(default_factory=list)


def summarise(outcomes: list[TextOutcome]) -> EvalSummary:
    gold_rejected = sum(judge(CleanCandidate(o.pair.instruction, ""), o.pair.output, "eog") is not None for o in outcomes) / max(
        1, len(outcomes)
    )
    summary = EvalSummary(len(outcomes), statistics.fmean(o.seconds for o in outcomes) if outcomes else 0.0, gold_rejected)
    for variant in VARIANTS:
        rows = [(o, o.picks[variant]) for o in outcomes if o.picks[variant] is not None and o.candidate_rouge]
        s = VariantSummary(variant, picked=len(rows))
        if rows:
            chosen = [rouge_l(p.prompt_text, o.pair.instruction) for o, p in rows if p is not None]
            means = [statistics.fmean(o.candidate_rouge) for o, _ in rows]
            s.at_least_mean = sum(c >= m - 1e-12 for c, m in zip(chosen, means, strict=True)) / len(rows)
            s.beats_mean = sum(c > m + 1e-12 for c, m in zip(chosen, means, strict=True)) / len(rows)
            s.rouge_chosen, s.rouge_mean = statistics.fmean(chosen), statistics.fmean(means)
            s.leakage = sum(copies_text(p.prompt_text, o.pair.output) for o, p in rows if p is not None) / len(rows)
        s.nothing_helps = sum(o.nothing_helps[variant] for o in outcomes) / max(1, len(outcomes))
        s.gold_wins = sum(o.gold_wins.get(variant, False) for o in outcomes) / max(1, len(outcomes))
        summary.variants.append(s)
    return summary


def evaluate(
    engine: Engine,
    pairs: list[DevPair],
    params: SamplingParams,
    *,
    family: str = "auto",
    helps_below: float = 1.0,
    early_stop: bool = True,
    on_text: Callable[[int, int], None] | None = None,
) -> tuple[EvalSummary, list[TextOutcome]]:
    outcomes = []
    for i, pair in enumerate(pairs):
        outcomes.append(evaluate_text(engine, pair, params, family, helps_below, early_stop))
        if on_text:
            on_text(i + 1, len(pairs))
    return summarise(outcomes), outcomes


def _refusal_or_unseen(cand: RankedCandidate, text: str) -> bool:
    return junk_reason(cand.instruction, cand.input, text) in (REFUSAL, UNSEEN)


@dataclass
class QualitySummary:
    """What a person would notice in one policy's picks (see the module's docstring)."""

    policy: str
    language_match: float
    junk_candidates: float
    junk_chosen: float
    nothing_chosen: float
    nll_gap: float | None
    """None: no text had both scored."""
    rouge_chosen: float


def quality(outcomes: list[TextOutcome], policy: str = "nll") -> QualitySummary:
    chosen = [(o, o.picks[policy]) for o in outcomes if o.picks[policy] is not None and not o.nothing_helps[policy]]
    written = [(o, c) for o in outcomes for c in o.candidates if c.instruction.strip()]
    gaps = [p.nll - o.gold_nll for o, p in chosen if p is not None and p.nll is not None and o.gold_nll is not None]
    n = max(1, len(chosen))
    return QualitySummary(
        policy,
        language_match=sum(text_language(p.prompt_text) == text_language(o.pair.output) for o, p in chosen if p) / n,
        junk_candidates=sum(_refusal_or_unseen(c, o.pair.output) for o, c in written) / max(1, len(written)),
        junk_chosen=sum(_refusal_or_unseen(p, o.pair.output) for o, p in chosen if p) / n,
        nothing_chosen=1 - len(chosen) / max(1, len(outcomes)),
        nll_gap=statistics.fmean(gaps) if gaps else None,
        rouge_chosen=statistics.fmean(rouge_l(p.prompt_text, o.pair.instruction) for o, p in chosen if p) if chosen else 0.0,
    )


@dataclass
class ScorerSummary:
    """A scorer against the generator scoring its own candidates (``nll`` policy, the same candidates)."""

    agreement: float
    """Share of texts where both choose the same candidate (or both choose nothing)."""
    rouge_scorer: float
    rouge_generator: float
    """Mean ROUGE-L of the pick against the gold over all texts (0 where nothing is chosen)."""
    rank_seconds_scorer: float
    rank_seconds_generator: float


def scorer_agreement(outcomes: list[TextOutcome]) -> ScorerSummary:
    def chosen(o: TextOutcome) -> RankedCandidate | None:
        return None if o.nothing_helps["nll"] else o.picks["nll"]

    def index(c: RankedCandidate | None) -> int | None:
        return None if c is None else c.index

    def rouge(c: RankedCandidate | None, o: TextOutcome) -> float:
        return 0.0 if c is None else rouge_l(c.prompt_text, o.pair.instruction)

    n = max(1, len(outcomes))
    same = sum(index(chosen(o)) == index(o.own) for o in outcomes)
    return ScorerSummary(
        same / n,
        sum(rouge(chosen(o), o) for o in outcomes) / n,
        sum(rouge(o.own, o) for o in outcomes) / n,
        statistics.fmean(o.rank_seconds for o in outcomes) if outcomes else 0.0,
        statistics.fmean(o.own_rank_seconds for o in outcomes) if outcomes else 0.0,
    )


def scorer_line(s: ScorerSummary) -> str:
    return (
        f"scorer vs the generator scoring itself: the same choice on {s.agreement:.0%} of texts; ROUGE-L chosen"
        f" {s.rouge_scorer:.3f} vs {s.rouge_generator:.3f}; scoring {s.rank_seconds_scorer:.1f} s vs"
        f" {s.rank_seconds_generator:.1f} s per text"
    )


def quality_line(q: QualitySummary) -> str:
    gap = "n/a" if q.nll_gap is None else f"{q.nll_gap:+.3f}"
    return (
        f"{q.policy}: chosen in the text's language {q.language_match:.0%}; refusals or unseen references"
        f" {q.junk_candidates:.0%} of candidates, {q.junk_chosen:.0%} of chosen; nothing chosen {q.nothing_chosen:.0%};"
        f" ROUGE-L chosen {q.rouge_chosen:.3f}; NLL(text | chosen) - NLL(text | gold) {gap}"
    )


def format_table(summary: EvalSummary) -> str:
    head = "| choice | picks | chosen >= mean | ROUGE-L chosen | ROUGE-L mean | ratio | leakage | nothing helps | gold wins |"
    lines = [head, "|" + "---|" * 9]
    for s in summary.variants:
        nothing = "n/a" if s.variant == BEFORE else f"{s.nothing_helps:.0%}"  # before: saved whether it helped or not
        lines.append(
            f"| {s.variant} | {s.picked} | {s.at_least_mean:.0%} | {s.rouge_chosen:.3f} | {s.rouge_mean:.3f} | {s.ratio:.2f}x"
            f" | {s.leakage:.0%} | {nothing} | {s.gold_wins:.0%} |"
        )
    lines.append(
        f"\n{summary.texts} texts, {summary.seconds_per_text:.1f} s per text; the filter rejects"
        f" {summary.gold_rejected:.0%} of the gold instructions."
    )
    return "\n".join(lines) + "\n"
