"""One whole run, as both the CLI and the window make it, and the one result shape a caller reads.

* :func:`engine_settings` — what the engine runs with (explicit choices, then settings, then defaults).
* :func:`check_fit` — the memory guardrail under the one load-mode rule.
* :func:`open_engine` — vet the file, load it (GPU first, the CPU if that fails).
* :func:`open_scorer` — a second, smaller model that scores the candidates (``--scorer``);
  :func:`open_engine_and_scorer` both at once.
* :func:`run_request` — generate, rank and describe: an :class:`Outcome`.
* :func:`finish_request` — rank and describe candidates generated elsewhere (batch mode).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opening.base.errors import BadInput, Cancelled, ModelError
from opening.base.messages import Message
from opening.base.progress import CancelFn, StageFn
from opening.base.sampling import SamplingParams
from opening.base.settings import Settings
from opening.data.records import PairRecord
from opening.llama.backend import load_mode
from opening.llama.engine import Engine, EngineSettings, GenerationResult, PieceFn
from opening.llama.probe import vet_model
from opening.models.file_hash import cached_sha256
from opening.models.gguf_file import GGUFInfo
from opening.models.memory_fit import FitEstimate, estimate
from opening.pipeline.judge import judge_pairs
from opening.pipeline.ranking import RankedCandidate, Ranking, rank
from opening.pipeline.report import build_report, candidate_record
from opening.pipeline.request import Request, generate_candidates

log = logging.getLogger(__name__)


def engine_settings(settings: Settings, *, threads: int | None = None, gpu_layers: int | None = None) -> EngineSettings:
    """What the engine runs with: explicit choices first, then the user's settings, then defaults."""
    chosen = EngineSettings(
        gpu_layers=gpu_layers if gpu_layers is not None else settings.gpu_layers,
        use_mmap=settings.use_mmap,
        repack=settings.repack,
    )
    chosen.threads = threads or settings.threads or chosen.threads  # the default is the engine's own
    return chosen


def check_fit(
    info: GGUFInfo, params: SamplingParams, settings: EngineSettings, text: str = "", *, rifd: bool = False
) -> FitEstimate:
    """The run's memory estimate, for the file loaded as ``settings`` will load it (``rifd``: the choice
    scores r-IFD too)."""
    use_mmap, repack = load_mode(settings.gpu_layers, settings.use_mmap, settings.repack)
    text_tokens = len(text.encode("utf-8")) // 3 + 1 if text else 64
    return estimate(info, params, text_tokens=text_tokens, use_mmap=use_mmap, repack=repack, rifd=rifd)


def open_engine(
    path: Path,
    settings: EngineSettings,
    *,
    progress: StageFn | None = None,
    cancel: CancelFn | None = None,
) -> tuple[Engine, Message | None]:
    """Vet the file (header checks; a first load in a child process), then load it; if loading onto the
    GPU fails, load it on the CPU and say why (the second value)."""
    vet_model(Path(path))
    try:
        return Engine(path, settings, progress=progress, cancel=cancel), None
    except (Cancelled, BadInput):
        raise
    except ModelError as exc:
        if settings.gpu_layers == 0:
            raise
        note = Message("model.gpu_fallback", {"reason": exc.message})
        log.warning("%s", note)
        return Engine(path, dataclasses.replace(settings, gpu_layers=0), progress=progress, cancel=cancel), note


def open_scorer(
    engine: Engine,
    path: Path,
    settings: EngineSettings,
    *,
    progress: StageFn | None = None,
    cancel: CancelFn | None = None,
) -> None:
    """Load ``path`` as the model that scores ``engine``'s candidates (vetted and loaded as the generator
    is; the same file: nothing to do). A generator with a chat template needs a scorer with one: the chat
    family's scoring prompt is the scorer's own chat template."""
    if engine.scorer is not None:
        engine.scorer.close()
        engine.scorer = None
    if Path(path).resolve() == Path(engine.model.path).resolve():
        return
    scorer, note = open_engine(path, settings, progress=progress, cancel=cancel)
    if note:
        log.warning("scorer: %s", note)
    if engine.model.info.chat_template is not None and scorer.model.info.chat_template is None:
        scorer.close()
        raise BadInput("scorer.no_chat", path=str(path))
    engine.scorer = scorer


def open_engine_and_scorer(path: Path, settings: EngineSettings, scorer: Path | None) -> tuple[Engine, Message | None]:
    """:func:`open_engine`, then :func:`open_scorer` when a scorer is named; a scorer that cannot be loaded
    closes the model again (the caller gets the error, not a half-ready engine)."""
    engine, note = open_engine(path, settings)
    if scorer is not None:
        try:
            open_scorer(engine, scorer, settings)
        except BaseException:
            engine.close()
            raise
    return engine, note


@dataclass
class Outcome:
    """What one run produced; everything a caller reads is here.

    ``candidates`` are in generation order with their cleaning, rejection, duplicate and scores;
    ``chosen`` indexes them (None: every candidate was rejected, none helps, or the run was cancelled;
    ``status`` says which);
    ``records`` holds the pair each candidate makes (the user may still pick a rejected one);
    ``report`` is the JSON report of ``opening generate --format json``.
    """

    request: Request
    result: GenerationResult
    ranking: Ranking | None
    """None when the run was cancelled before ranking."""
    report: dict[str, Any] = field(default_factory=dict)
    records: list[PairRecord] = field(default_factory=list)

    @property
    def cancelled(self) -> bool:
        return self.ranking is None

    @property
    def candidates(self) -> list[RankedCandidate]:
        return [] if self.ranking is None else self.ranking.candidates

    @property
    def chosen(self) -> int | None:
        return None if self.ranking is None else self.ranking.chosen

    @property
    def status(self) -> str:
        """``chosen``, ``rejected``, ``no_helpful_instruction`` (opening.base.choice), or ``cancelled``."""
        return "cancelled" if self.ranking is None else self.ranking.status

    @property
    def chosen_record(self) -> PairRecord | None:
        return None if self.chosen is None else self.records[self.chosen]

    @property
    def pair(self) -> dict[str, str] | None:
        """The chosen pair in the demo's format (``{"instruction", "output"}``), or None."""
        record = self.chosen_record
        return None if record is None else record.to_format("demo")


def run_request(
    engine: Engine,
    request: Request,
    *,
    source: str,
    on_piece: PieceFn | None = None,
    cancel: CancelFn | None = None,
    on_stage: StageFn | None = None,
) -> Outcome:
    """Generate, rank and describe one request. Stages reported: ``generating``, ``scoring`` (fractions as
    the pass goes), ``judging`` (with ``request.choice.judge``) and ``hashing`` (the model's SHA-256, once
    per file)."""
    if on_stage:
        on_stage("generating", 0.0)
    result = generate_candidates(engine, request, on_piece=on_piece, cancel=cancel)
    return finish_request(engine, request, result, source=source, cancel=cancel, on_stage=on_stage)


def finished_candidates(result: GenerationResult) -> int:
    """How many candidates of a cancelled run had finished (the rest were cut off mid-way)."""
    return sum(1 for c in result.candidates if c.finish_reason != "cancelled" and c.text.strip())


def rank_finished(
    engine: Engine,
    outcome: Outcome,
    *,
    source: str,
    cancel: CancelFn | None = None,
    on_stage: StageFn | None = None,
) -> Outcome:
    """Rank a cancelled run's candidates after all: those that had finished are cleaned, filtered and
    scored as usual; those cut off mid-way are kept, rejected as ``cancelled``. The report says the run
    was cancelled (``"cancelled": true``) and ranked what was done (``"ranked_after_cancel": true``)."""
    if not outcome.cancelled:
        return outcome
    result = dataclasses.replace(outcome.result, cancelled=False)
    ranked = finish_request(engine, outcome.request, result, source=source, cancel=cancel, on_stage=on_stage)
    if ranked.ranking is not None:
        ranked.report.update(cancelled=True, ranked_after_cancel=True)
    return ranked


def finish_request(
    engine: Engine,
    request: Request,
    result: GenerationResult,
    *,
    source: str,
    cancel: CancelFn | None = None,
    on_stage: StageFn | None = None,
) -> Outcome:
    """Rank, judge and describe candidates already generated (batch mode generates many requests at once)."""
    if result.cancelled:
        return Outcome(request, result, None)
    if on_stage:
        on_stage("scoring", 0.0)
    try:
        ranking = rank(engine, request.text, result, choice=request.choice, cancel=cancel, progress=on_stage)
        if request.choice.judge:
            if on_stage:
                on_stage("judging", 0.0)
            judge_pairs(engine, request.text, ranking, cancel=cancel)
    except Cancelled:
        result.cancelled = True
        return Outcome(request, result, None)
    sha = cached_sha256(engine.model.path, progress=on_stage)
    if engine.scorer is not None:
        cached_sha256(engine.scorer.model.path, progress=on_stage)  # once per file; the records name it
    report = build_report(request, engine, result, ranking, model_sha256=sha)
    records = [
        candidate_record(request, engine, result, ranking, i, model_sha256=sha, source=source)
        for i in range(len(ranking.candidates))
    ]
    return Outcome(request, result, ranking, report, records)
