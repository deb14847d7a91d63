"""One whole run, as both the CLI and the window make it: generate, rank, report, one record per candidate."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine import CancelFn, Engine, EngineSettings, GenerationResult, PieceFn
from .errors import BadInput, Cancelled, ModelError
from .file_hash import cached_sha256
from .llama_model import ProgressFn, default_threads
from .ranking import Ranking, rank
from .records import PairRecord
from .report import build_report, candidate_record
from .request import Request, generate_candidates
from .settings import Settings

log = logging.getLogger(__name__)
StageFn = Callable[[str, float], None]
"""(stage, fraction of it done): ("generating", 0.0), then ("ranking", 0.0 … 1.0) as scoring goes."""


def engine_settings(settings: Settings, *, threads: int | None = None, gpu_layers: int | None = None) -> EngineSettings:
    """What the engine runs with: explicit choices first, then the user's settings, then defaults."""
    return EngineSettings(
        threads=threads or settings.threads or default_threads(),
        gpu_layers=gpu_layers if gpu_layers is not None else settings.gpu_layers,
        use_mmap=settings.use_mmap,
        repack=settings.repack,
    )


def open_engine(path: Path, settings: EngineSettings, *, progress: ProgressFn | None = None) -> tuple[Engine, str]:
    """Load the model; if loading onto the GPU fails, load it on the CPU and say why (second value)."""
    try:
        return Engine(path, settings, progress=progress), ""
    except (Cancelled, BadInput):
        raise
    except ModelError as exc:
        if settings.gpu_layers == 0:
            raise
        note = f"loading onto the GPU failed ({exc}); running on the CPU instead"
        log.warning("%s", note)
        return Engine(path, dataclasses.replace(settings, gpu_layers=0), progress=progress), note


@dataclass
class Outcome:
    request: Request
    result: GenerationResult
    ranking: Ranking | None
    """None when the run was cancelled before ranking."""
    report: dict[str, Any] = field(default_factory=dict)
    records: list[PairRecord] = field(default_factory=list)
    """One record per candidate (by index), rejected ones included: the user may still pick one."""

    @property
    def chosen(self) -> int | None:
        return None if self.ranking is None else self.ranking.chosen

    @property
    def chosen_record(self) -> PairRecord | None:
        return None if self.chosen is None else self.records[self.chosen]


def run_request(
    engine: Engine,
    request: Request,
    *,
    source: str,
    on_piece: PieceFn | None = None,
    cancel: CancelFn | None = None,
    on_stage: StageFn | None = None,
) -> Outcome:
    if on_stage:
        on_stage("generating", 0.0)
    result = generate_candidates(engine, request, on_piece=on_piece, cancel=cancel)
    if result.cancelled:
        return Outcome(request, result, None)
    if on_stage:
        on_stage("ranking", 0.0)
    try:
        ranking = rank(
            engine, request.text, result, cancel=cancel,
            progress=(lambda fraction: on_stage("ranking", fraction)) if on_stage else None,
        )
    except Cancelled:
        result.cancelled = True
        return Outcome(request, result, None)
    sha = cached_sha256(engine.model.path)
    report = build_report(request, engine, result, ranking, model_sha256=sha)
    records = [
        candidate_record(request, engine, result, ranking, i, model_sha256=sha, source=source)
        for i in range(len(ranking.candidates))
    ]
    return Outcome(request, result, ranking, report, records)
