"""The JSON report of one run (DESIGN.md contract), built from the engine's result."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .engine import Engine, GenerationResult
from .request import Request


def candidate_instruction(text: str) -> str:
    return text.strip()


def build_report(
    request: Request,
    engine: Engine,
    result: GenerationResult,
    *,
    model_sha256: str | None,
) -> dict[str, Any]:
    params = asdict(request.params)
    params["seed"] = result.seed
    params["template"] = request.family
    params["threads"] = engine.settings.threads
    params["gpu_layers"] = engine.settings.gpu_layers
    candidates = [
        {
            "instruction": candidate_instruction(c.text),
            "input": "",
            "template": c.template,
            "nll": None,
            "ifd": None,
            "tokens": c.tokens,
            "finish_reason": c.finish_reason,
            "duplicate_of": None,
            "rejected": None,
        }
        for c in result.candidates
    ]
    chosen = 0 if candidates else None
    pair = {"instruction": candidates[0]["instruction"], "output": request.text} if candidates else None
    return {
        "output": request.text,
        "model": {"path": str(engine.model.path), "name": engine.model.name, "sha256": model_sha256},
        "params": params,
        "candidates": candidates,
        "chosen": chosen,
        "pair": pair,
        "timings": {
            "load_ms": round(engine.load_ms, 1),
            "prompt_ms": round(result.prompt_ms, 1),
            "generate_ms": round(result.generate_ms, 1),
            "rank_ms": None,
            "prompt_tokens": result.prompt_tokens,
            "generated_tokens": result.generated_tokens,
            "steps": result.steps,
        },
        "cancelled": result.cancelled,
    }
