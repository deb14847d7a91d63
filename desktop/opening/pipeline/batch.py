"""Batch mode: a corpus in, one ledger record per passage out, on the same pipeline as one text.

* :func:`prepare` — read the inputs (``opening.data.corpus``), apply the length policy in the loaded
  model's tokens (too short: skipped; too long: split on paragraphs, then sentences, or skipped), drop
  exact duplicates and the passages the ledger already holds; every skip is counted by reason.
* :func:`run_batch` — run the passages K at a time in one context (continuous batching,
  :meth:`~opening.llama.engine.Engine.generate_many`; K from :mod:`opening.pipeline.batch_plan`), rank
  each as it finishes (:func:`~opening.pipeline.run.finish_request`) and append its record; a stop
  request ends the run after the passages in flight. A candidate whose fate is sealed early
  (:func:`~opening.pipeline.candidate_filter.sealed`) stops there.
* :func:`batch_config` — the settings that change a passage's result (they make its key).
* :func:`open_ledger` — the output for a :class:`BatchSpec`: the seed resolved (a continued run keeps
  its own), the configuration built, an earlier run with other settings refused.

A passage's seed is derived from the run's seed and the passage's SHA-256, so a resumed run gives each
passage the candidates it would have had, and two passages do not share a seed.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from opening.base.choice import Choice
from opening.base.progress import CancelFn
from opening.base.sampling import SamplingParams
from opening.data.batch_ledger import Ledger, earlier_config, passage_key
from opening.data.corpus import Passage, Problem, find_inputs, read_passages
from opening.llama.engine import Engine, GenerationResult, Job
from opening.pipeline.batch_plan import ParallelChoice, choose_parallel, estimate_seconds, job_cells
from opening.pipeline.request import MAX_TEXT_CHARS, Request, request_job
from opening.pipeline.run import Outcome, finish_request
from opening.pipeline.templates import build_prompts

log = logging.getLogger(__name__)

SKIP_SHORT = "shorter than --min-tokens"
SKIP_LONG = "longer than --max-tokens-text"
SKIP_DUPLICATE = "duplicate passage"
SKIP_DONE = "already in the output"


@dataclass(frozen=True)
class LengthPolicy:
    min_tokens: int = 8
    max_tokens: int = 1024
    long: str = "split"
    """``split`` (on paragraphs, then sentences) or ``skip``."""


@dataclass
class BatchSpec:
    """Everything one batch run is asked to do (the CLI's flags, the window's Batch tab)."""

    inputs: list[str]
    out: str
    params: SamplingParams = field(default_factory=SamplingParams)
    family: str = "auto"
    choice: Choice = field(default_factory=Choice)
    policy: LengthPolicy = field(default_factory=LengthPolicy)
    field_name: str = "text"
    column: str = "text"
    glob: str | None = None
    restart: bool = False
    parallel: int = 0
    """Passages in flight; 0: measured (opening.pipeline.batch_plan.choose_parallel)."""
    early_stop: bool = True
    """Stop a candidate as soon as its fate is sealed (the record is the same; fewer tokens generated)."""


def open_ledger(spec: BatchSpec, model_sha256: str, family: str, scorer_sha256: str | None = None) -> Ledger:
    """Resolve the seed (``spec.params.seed`` is set: a continued run keeps its seed, a new one draws one),
    build the configuration and open the output (refused if it holds a run with other settings)."""
    resolve_seed(spec, None if spec.restart else earlier_config(spec.out))
    config = batch_config(model_sha256, spec.params, family, spec.choice, scorer_sha256)
    return Ledger.open(spec.out, config, restart=spec.restart)


def resolve_seed(spec: BatchSpec, earlier: dict[str, Any] | None) -> None:
    """``spec.params.seed`` when unset: the seed of the run being continued (its ``earlier`` configuration),
    else a new one drawn."""
    if spec.params.seed is None:
        earlier_seed = earlier.get("seed") if earlier else None
        spec.params.seed = earlier_seed if isinstance(earlier_seed, int) else secrets.randbelow(2**32 - 1)


@dataclass
class Prepared:
    passages: list[tuple[Passage, str]]
    """Passages to run, each with its key."""
    tokens: list[int] = field(default_factory=list)
    """The length in tokens of each passage to run."""
    read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    stopped: bool = False
    """Reading was stopped (Ctrl-C): the list is incomplete and nothing should run."""

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n


def batch_config(
    sha256: str, params: SamplingParams, family: str, choice: Choice, scorer_sha256: str | None = None
) -> dict[str, Any]:
    """What changes a passage's result: the model file (and the scorer's, when one scores), sampling,
    template family and choice settings."""
    scorer = {"scorer_sha256": scorer_sha256} if scorer_sha256 else {}  # absent: runs from before it match
    return {
        "model_sha256": sha256,
        **scorer,
        "template": family,
        **asdict(params),
        **{f"choice_{k}": v for k, v in asdict(choice).items()},
    }


_SENTENCE = re.compile(r"(?<=[.!?。！？；;])\s*")


def _split_long(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Pieces of ``text`` that fit, in order: paragraphs packed together while they fit, a paragraph too
    long on its own cut into sentences; a sentence too long on its own is left out."""
    units: list[tuple[str, str]] = []
    for para in (p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()):
        if fits(para):
            units.append((para, "\n\n"))
        else:
            units.extend((s.strip(), " ") for s in _SENTENCE.split(para) if s.strip())
    pieces: list[str] = []
    current = ""
    for unit, sep in units:
        joined = f"{current}{sep}{unit}" if current else unit
        if fits(joined):
            current = joined
            continue
        if current:
            pieces.append(current)
        current = unit if fits(unit) else ""
    if current:
        pieces.append(current)
    return pieces


def prepare(engine: Engine, spec: BatchSpec, ledger: Ledger, stop: CancelFn | None = None) -> Prepared:
    """Read the inputs and decide which passages to run (see the module's docstring). ``stop`` is polled
    at every passage: when it says so, reading ends there (``Prepared.stopped``) and nothing should run."""
    policy, config = spec.policy, ledger.config
    files, problems = find_inputs(spec.inputs, spec.glob)
    prepared = Prepared([], [], problems=list(problems))
    seen: set[str] = set()

    counted: dict[str, int] = {}  # the length check and the split ask about the same texts: tokenize once

    def n_tokens(text: str) -> int:
        if text not in counted:
            counted[text] = len(engine.model.tokenize(text, add_special=False, parse_special=False))
        return counted[text]

    def fits(text: str) -> bool:
        return len(text) <= MAX_TEXT_CHARS and n_tokens(text) <= policy.max_tokens

    for path in files:
        counted.clear()  # per file: the cache never holds more than one file's passages
        for got in read_passages(path, field=spec.field_name, column=spec.column):
            if stop is not None and stop():
                prepared.stopped = True
                return prepared
            if isinstance(got, Problem):
                prepared.problems.append(got)
                continue
            prepared.read += 1
            texts = [got.text]
            if not fits(got.text):
                if policy.long == "skip":
                    prepared.skip(SKIP_LONG)
                    continue
                texts = _split_long(got.text, fits)
                if not texts:
                    prepared.skip(SKIP_LONG)
                    continue
            for k, text in enumerate(texts):
                passage = got if len(texts) == 1 else Passage(text, got.file, got.line, got.item)
                if n_tokens(text) < policy.min_tokens:
                    prepared.skip(SKIP_SHORT)
                    continue
                key = passage_key(text, config)
                if key in seen:
                    prepared.skip(SKIP_DUPLICATE)
                    continue
                seen.add(key)
                if key in ledger.done:
                    prepared.skip(SKIP_DONE)
                    continue
                if len(texts) > 1:
                    log.debug("%s: passage split, part %d of %d", got.file, k + 1, len(texts))
                prepared.passages.append((passage, key))
                prepared.tokens.append(n_tokens(text))
    return prepared


def passage_seed(base: int, sha256: str) -> int:
    return (base + int(sha256[:8], 16)) % (2**32 - 1)


def make_record(passage: Passage, key: str, outcome: Outcome, config: dict[str, Any]) -> dict[str, Any]:
    """The ledger record of one passage (the DESIGN contract's fields, then the details)."""
    report = outcome.report
    ranking = outcome.ranking
    chosen = outcome.chosen_record
    reasons: dict[str, int] = {}
    for cand in outcome.candidates:
        if cand.rejected:
            reasons[cand.rejected] = reasons.get(cand.rejected, 0) + 1
    return {
        "key": key,
        "source": passage.source(),
        "status": outcome.status,
        "pair": None if chosen is None else {"instruction": chosen.instruction, "input": chosen.input, "output": passage.text},
        "text": passage.text if chosen is None else None,  # a passage with no pair keeps its text (review)
        "chosen": outcome.chosen,
        "scores": None if chosen is None else {"nll": chosen.nll, "ifd": chosen.ifd, "rifd": chosen.rifd},
        "reasons": reasons,
        "candidates": report.get("candidates", []),
        "model": {"name": report["model"]["name"], "sha256": report["model"]["sha256"]},
        "params": report.get("params", {}),
        "seed": report.get("params", {}).get("seed"),
        "config": config,
        "timings": report.get("timings", {}),
        "best": None if ranking is None else ranking.best,
        "token_scores": report.get("token_scores"),
        "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


@dataclass
class BatchStats:
    total: int
    done: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    nll: list[float] = field(default_factory=list)
    ifd: list[float] = field(default_factory=list)
    generated_tokens: int = 0
    sealed: int = 0
    """Candidates stopped early because their fate was sealed."""
    tokens_left: int = 0
    """The tokens those candidates could still have generated (an upper bound of the saving)."""
    steps: int = 0
    """Decodes made (each one carries a token of every candidate in flight)."""
    parallel: int = 1
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0
    """Wall-clock time since the run started (passages overlap: it is not a sum per passage)."""
    stopped: bool = False
    written_elsewhere: int = 0
    """Passages another run writing the same output finished first (their records are its, not written twice)."""

    def add(self, record: dict[str, Any], result: GenerationResult, *, written: bool = True) -> None:
        self.done += 1
        self.seconds = time.perf_counter() - self.started
        if not written:
            self.written_elsewhere += 1
            return
        status = record["status"]
        self.by_status[status] = self.by_status.get(status, 0) + 1
        for reason, n in record["reasons"].items():
            self.reasons[reason] = self.reasons.get(reason, 0) + n
        if record["scores"]:
            if record["scores"]["nll"] is not None:
                self.nll.append(record["scores"]["nll"])
            if record["scores"]["ifd"] is not None:
                self.ifd.append(record["scores"]["ifd"])
        self.generated_tokens += result.generated_tokens
        for cand in result.candidates:
            if cand.finish_reason == "sealed":
                self.sealed += 1
                self.tokens_left += cand.tokens_left

    @property
    def per_hour(self) -> float:
        return 3600.0 * self.done / self.seconds if self.seconds else 0.0

    def eta_seconds(self) -> float | None:
        return (self.total - self.done) * self.seconds / self.done if self.done else None

    def medians(self) -> tuple[float | None, float | None]:
        return (statistics.median(self.nll) if self.nll else None, statistics.median(self.ifd) if self.ifd else None)


@dataclass(frozen=True)
class BatchPlan:
    """How the run will go: passages in flight (and why), KV cells per passage, the estimated seconds."""

    parallel: ParallelChoice
    cells: int
    seconds: float | None


def plan_run(engine: Engine, spec: BatchSpec, prepared: Prepared) -> BatchPlan:
    """Passages in flight (``spec.parallel`` or measured), the cells each may take, and the estimate."""
    cells = job_cells(engine, spec.params, spec.family, max(prepared.tokens, default=1))
    if not prepared.passages:
        return BatchPlan(ParallelChoice(1, "nothing to run"), cells, None)
    choice = choose_parallel(engine, spec.params, cells, len(prepared.passages), spec.parallel)
    seconds = None
    if choice.speed is not None:
        prompts = min(spec.params.n, len(build_prompts(engine.model, "x", spec.family)))
        seconds = estimate_seconds(choice.speed, choice.k, spec.params, prompts, prepared.tokens)
    return BatchPlan(choice, cells, seconds)


def run_batch(
    engine: Engine,
    spec: BatchSpec,
    prepared: Prepared,
    ledger: Ledger,
    *,
    stop: CancelFn | None = None,
    cancel: CancelFn | None = None,
    on_record: Callable[[dict[str, Any], BatchStats], None] | None = None,
    plan: BatchPlan | None = None,
) -> BatchStats:
    """Run every prepared passage, K in flight, and append each record as its passage finishes. ``stop``
    (polled between steps) admits no more passages and finishes those in flight; ``cancel`` also
    abandons those (they are not written). ``plan``: from :func:`plan_run` (made here if None)."""
    plan = plan or plan_run(engine, spec, prepared)
    stats = BatchStats(len(prepared.passages), parallel=plan.parallel.k)
    if not prepared.passages:
        return stats

    def done(record: dict[str, Any], result: GenerationResult) -> None:
        stats.add(record, result, written=ledger.write(record))
        if on_record:
            on_record(record, stats)

    stats.steps, stats.stopped = run_passages(
        engine, spec, prepared.passages, ledger.config, done, k=plan.parallel.k, cells=plan.cells, stop=stop, cancel=cancel
    )
    stats.seconds = time.perf_counter() - stats.started
    if stats.done < stats.total:
        stats.stopped = True
    return stats


def run_passages(
    engine: Engine,
    spec: BatchSpec,
    passages: list[tuple[Passage, str]],
    config: dict[str, Any],
    done: Callable[[dict[str, Any], GenerationResult], None],
    *,
    k: int,
    cells: int,
    stop: CancelFn | None = None,
    cancel: CancelFn | None = None,
) -> tuple[int, bool]:
    """The per-passage pipeline of a batch (local or on a cluster's actors): ``passages`` K at a time in
    one context, each ranked as it finishes and handed to ``done`` as its record. Returns the decodes made
    and whether a cancel abandoned a passage."""
    abandoned = False

    def jobs() -> Iterator[Job]:
        for passage, key in passages:
            yield passage_job(engine, spec, passage, key)

    def finished(job: Job, result: GenerationResult) -> None:
        nonlocal abandoned
        passage, key, request = job.tag
        outcome = finish_request(engine, request, result, source=passage.file, cancel=cancel)
        if outcome.cancelled:
            abandoned = True
            return
        done(make_record(passage, key, outcome, config), result)

    scheduler = engine.generate_many(
        jobs(), finished, slots=k, per_slot=spec.params.n, cells=k * cells + 1, stop=stop, cancel=cancel
    )
    return scheduler.steps, abandoned


def passage_job(engine: Engine, spec: BatchSpec, passage: Passage, key: str) -> Job:
    """The engine job of one passage: its own seed, the run's settings, the early-stop rule; tagged with
    (passage, key, request) for the record."""
    seeded = SamplingParams(**{**asdict(spec.params), "seed": passage_seed(spec.params.seed or 0, passage.sha256)})
    request = Request(passage.text, seeded, spec.family, spec.choice, early_stop=spec.early_stop)
    return request_job(engine, request, tag=(passage, key, request))
