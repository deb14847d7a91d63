"""The JSON report of one run (DESIGN.md contract) and the record of its chosen pair."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .engine import Engine, GenerationResult
from .ranking import Ranking
from .records import PairRecord
from .request import Request


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def run_params(request: Request, engine: Engine, result: GenerationResult) -> dict[str, Any]:
    params = asdict(request.params)
    params.update(seed=result.seed, template=request.family, threads=engine.settings.threads,
                  gpu_layers=engine.settings.gpu_layers)
    return params


def candidate_record(
    request: Request, engine: Engine, result: GenerationResult, ranking: Ranking, index: int, *,
    model_sha256: str | None, source: str,
) -> PairRecord:
    """The pair candidate ``index`` makes with the text (its instruction may be empty: not savable)."""
    cand = ranking.candidates[index]
    return PairRecord(
        instruction=cand.instruction, input=cand.input, output=request.text, template=cand.template,
        nll=_round(cand.nll), ifd=_round(cand.ifd), model_name=engine.model.name, model_sha256=model_sha256,
        params=run_params(request, engine, result), seed=result.seed, source=source,
    )


def chosen_record(
    request: Request, engine: Engine, result: GenerationResult, ranking: Ranking, *, model_sha256: str | None,
    source: str,
) -> PairRecord | None:
    if ranking.chosen is None:
        return None
    return candidate_record(request, engine, result, ranking, ranking.chosen, model_sha256=model_sha256, source=source)


def build_report(
    request: Request,
    engine: Engine,
    result: GenerationResult,
    ranking: Ranking,
    *,
    model_sha256: str | None,
) -> dict[str, Any]:
    candidates = [
        {
            "instruction": c.instruction,
            "input": c.input,
            "template": c.template,
            "nll": _round(c.nll),
            "ifd": _round(c.ifd),
            "helps": c.helps,
            "tokens": c.tokens,
            "finish_reason": c.finish_reason,
            "duplicate_of": c.duplicate_of,
            "rejected": c.rejected,
        }
        for c in ranking.candidates
    ]
    record = chosen_record(request, engine, result, ranking, model_sha256=model_sha256, source="")
    return {
        "output": request.text,
        "model": {"path": str(engine.model.path), "name": engine.model.name, "sha256": model_sha256},
        "params": run_params(request, engine, result),
        "candidates": candidates,
        "chosen": ranking.chosen,
        "rank_order": ranking.order(),
        "baseline_nll": _round(ranking.baseline_nll),
        "pair": record.to_format("demo") if record else None,
        "timings": {
            "load_ms": round(engine.load_ms, 1),
            "prompt_ms": round(result.prompt_ms, 1),
            "generate_ms": round(result.generate_ms, 1),
            "rank_ms": round(ranking.rank_ms, 1),
            "prompt_tokens": result.prompt_tokens,
            "generated_tokens": result.generated_tokens,
            "steps": result.steps,
        },
        "cancelled": result.cancelled,
    }
