"""The JSON report of one run (a contract: ``output``, ``model``, ``params``, ``candidates``, ``chosen``,
``pair``, ``timings``; ``chosen`` indexes ``candidates``) and the records of its candidates.

Beyond the contract: ``status`` (``chosen``, ``rejected``, ``no_helpful_instruction``), ``best`` (the
best-scoring candidate even when it does not help), ``choice`` (policy, IFD threshold, save anyway,
judge) and per candidate ``rifd``, ``helps`` and ``judge``."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from opening.data.records import PairRecord
from opening.llama.engine import Engine, GenerationResult
from opening.models.file_hash import cached_sha256
from opening.pipeline.ranking import Ranking
from opening.pipeline.request import Request


def _round(value: float | None, digits: int = 4) -> float | None:
    """Rounded for the report; NaN or infinity (nothing scored) becomes None: the report is strict JSON."""
    return None if value is None or not math.isfinite(value) else round(value, digits)


CaptionPart = tuple[str, dict[str, Any]]
ENGLISH_CAPTIONS = {
    "candidate": "Candidate Instruction {n}",
    "rejected": "rejected: {reason}",
    "duplicate": "duplicate of {n}",
    "scores": "nll {nll:.3f}, ifd {ifd:.3f}",
    "rifd": "r-ifd {rifd:.3f}",
    "judge": "judge {score}/5",
    "does_not_help": "does not help (IFD >= {limit:g})",
    "chosen": "chosen",
}


def caption_parts(cand: dict[str, Any], index: int, chosen: int | None, helps_below: float = 1.0) -> list[CaptionPart]:
    """What a candidate's caption says, in order — its number, then why it was rejected, what it
    duplicates, or its scores (and that it does not help), then whether it was chosen. ``cand`` is one of
    the report's candidates. The CLI words the parts in English, the window in its language."""
    parts: list[CaptionPart] = [("candidate", {"n": index + 1})]
    if cand["rejected"]:
        parts.append(("rejected", {"reason": cand["rejected"]}))
    elif cand["duplicate_of"] is not None:
        parts.append(("duplicate", {"n": cand["duplicate_of"] + 1}))
    elif cand["nll"] is not None and cand["ifd"] is not None:
        parts.append(("scores", {"nll": cand["nll"], "ifd": cand["ifd"]}))
        if cand.get("rifd") is not None:
            parts.append(("rifd", {"rifd": cand["rifd"]}))
        if cand.get("judge") is not None:
            parts.append(("judge", {"score": cand["judge"]}))
        if not cand["helps"]:
            parts.append(("does_not_help", {"limit": helps_below}))
    if index == chosen:
        parts.append(("chosen", {}))
    return parts


def caption(cand: dict[str, Any], index: int, chosen: int | None, helps_below: float = 1.0) -> str:
    """The terminal's caption: ``Candidate Instruction 2 [chat/query; nll 1.234, ifd 0.812; r-ifd 0.5]  <- chosen``."""
    parts = caption_parts(cand, index, chosen, helps_below)
    words = [ENGLISH_CAPTIONS[key].format(**values) for key, values in parts[1:] if key != "chosen"]
    mark = "  <- chosen" if parts[-1][0] == "chosen" else ""
    return f"{ENGLISH_CAPTIONS['candidate'].format(n=index + 1)} [{'; '.join([cand['template'], *words])}]{mark}"


def run_params(request: Request, engine: Engine, result: GenerationResult) -> dict[str, Any]:
    params = asdict(request.params)
    params.update(
        seed=result.seed, template=request.family, threads=engine.settings.threads, gpu_layers=engine.settings.gpu_layers
    )
    return params


def scorer_sha256(engine: Engine) -> str | None:
    """The scorer's SHA-256 (computed once per file, by :func:`opening.pipeline.run.finish_request`), or None."""
    return None if engine.scorer is None else cached_sha256(engine.scorer.model.path)


def candidate_record(
    request: Request,
    engine: Engine,
    result: GenerationResult,
    ranking: Ranking,
    index: int,
    *,
    model_sha256: str | None,
    source: str,
) -> PairRecord:
    """The pair candidate ``index`` makes with the text (its instruction may be empty: not savable)."""
    cand = ranking.candidates[index]
    return PairRecord(
        instruction=cand.instruction,
        input=cand.input,
        output=request.text,
        template=cand.template,
        nll=_round(cand.nll),
        ifd=_round(cand.ifd),
        rifd=_round(cand.rifd),
        judge=cand.judge,
        model_name=engine.model.name,
        model_sha256=model_sha256,
        scorer_name=engine.scorer.model.name if engine.scorer is not None else "",
        scorer_sha256=scorer_sha256(engine),
        params=run_params(request, engine, result),
        seed=result.seed,
        source=source,
    )


def chosen_record(
    request: Request,
    engine: Engine,
    result: GenerationResult,
    ranking: Ranking,
    *,
    model_sha256: str | None,
    source: str,
) -> PairRecord | None:
    if ranking.chosen is None:
        return None
    return candidate_record(request, engine, result, ranking, ranking.chosen, model_sha256=model_sha256, source=source)


def token_scores(ranking: Ranking) -> dict[str, Any]:
    """The per-token view of the scores, compact: the text's tokens, and per candidate the gain of each
    token in hundredths of a nat (NLL with the instruction − without; negative: it helped)."""
    gains = []
    for i in range(len(ranking.candidates)):
        gain = ranking.token_gain(i)
        gains.append(None if gain is None else [None if g is None else round(g * 100) for g in gain])
    return {"text_tokens": ranking.text_tokens, "token_gain": gains}


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
            "rifd": _round(c.rifd),
            "helps": c.helps,
            "judge": c.judge,
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
        "scorer": None  # the generator scored its own candidates
        if engine.scorer is None
        else {"path": str(engine.scorer.model.path), "name": engine.scorer.model.name, "sha256": scorer_sha256(engine)},
        "params": run_params(request, engine, result),
        "candidates": candidates,
        "chosen": ranking.chosen,
        "status": ranking.status,
        "best": ranking.best,
        "choice": asdict(ranking.choice),
        "rank_order": ranking.order(),
        "baseline_nll": _round(ranking.baseline_nll),
        "pair": record.to_format("demo") if record else None,
        "timings": {
            "load_ms": round(engine.load_ms, 1),
            "prompt_ms": round(result.prompt_ms, 1),
            "generate_ms": round(result.generate_ms, 1),
            "rank_ms": round(ranking.rank_ms, 1),
            "score_tokens": ranking.score_tokens,  # the cost of each score (r-IFD: 0 unless the policy needs it)
            "judge_ms": round(ranking.judge_ms, 1),
            "prompt_tokens": result.prompt_tokens,
            "prompt_cached_tokens": result.cached_tokens,  # the examples' head, kept decoded from the run before
            "generated_tokens": result.generated_tokens,
            "steps": result.steps,
            # candidates stopped once their fate was sealed, and the tokens they could still have generated
            "early_stops": sum(c.finish_reason == "sealed" for c in result.candidates),
            "early_stop_tokens_saved": sum(c.tokens_left for c in result.candidates if c.finish_reason == "sealed"),
        },
        "cancelled": result.cancelled,
        "token_scores": token_scores(ranking),
    }
