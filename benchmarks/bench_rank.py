"""Ranking cost vs. generation cost for the same request, in one process and one run (goal <= 25%).

    python benchmarks/bench_rank.py [--model smollm2|gemma|PATH] [--mode seed|sample|all] [--runs 3]

``--mode seed`` (the default) uses the seed poster's two examples exactly: the text, and the five
candidates the fine-tuned Baichuan-7B wrote for it. Generation is the engine's own run (same prompts,
same batch of 5 sequences, same samplers, which still sample) with each sampled token replaced by the
next token of the seed's candidate, so "generating them" costs what this engine would spend if the
model had written those candidates. Then ``rank()`` runs as in the product (clean, filter, merge
duplicates, one batched scoring pass with the baseline).

``--mode sample`` lets the model write its own candidates (seeds 1..runs); how many survive the filter
depends on the model, so the ratio swings from run to run.

``--mode all`` is the worst case: every candidate runs to max tokens and every one is scored.

Each line shows what the two phases decode: generation reads the text once per template (3 prompts)
and then steps 5 sequences; scoring reads the text once per scored candidate plus once for the
baseline, and decodes the tokens rows share (template, a common task definition) once.
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

import llama_cpp.llama_cpp as L

from bench_models import model_path as _model_path
from opening.llama.engine import Engine, EngineSettings, GenerationResult, SamplingParams
from opening.pipeline.ranking import Ranking, baseline_row, rank, scoring_prompt
from opening.pipeline.request import Request, generate_candidates
from opening.llama.scoring import ScoreRow, decode_plan, make_row, mean_nll
from opening.pipeline.templates import build_prompts
from seed_examples import SEED_EXAMPLES


def _address(pointer: object) -> int:
    return pointer if isinstance(pointer, int) else ctypes.cast(pointer, ctypes.c_void_p).value or 0


@contextmanager
def forced_candidates(engine: Engine, candidates: list[str]) -> Iterator[None]:
    """While active, candidate i's sampler still runs but its token is the next one of candidates[i]."""
    model = engine.model
    tokens = [model.tokenize(c, add_special=False, parse_special=False) + [model.eos] for c in candidates]
    order: dict[int, int] = {}
    cursor = [0] * len(candidates)
    real_sampler, real_sample = Engine._sampler, L.llama_sampler_sample

    def sampler(self: Engine, params: SamplingParams, seed: int):
        chain = real_sampler(self, params, seed)
        order[_address(chain)] = len(order)
        return chain

    def sample(chain, ctx, idx):
        real_sample(chain, ctx, idx)
        i = order[_address(chain)]
        token = tokens[i][min(cursor[i], len(tokens[i]) - 1)]
        cursor[i] += 1
        return token

    Engine._sampler, L.llama_sampler_sample = sampler, sample
    try:
        yield
    finally:
        Engine._sampler, L.llama_sampler_sample = real_sampler, real_sample


def scored_rows(engine: Engine, text: str, ranking: Ranking) -> list[ScoreRow]:
    """The rows rank() scored, rebuilt to count what the scoring pass decoded."""
    rows = [make_row(engine, scoring_prompt(engine, c.family, c.instruction, c.input), text)
            for c in ranking.candidates if c.nll is not None]
    return rows + [baseline_row(engine, text)] if rows else rows


def score_everything(engine: Engine, text: str, result: GenerationResult) -> tuple[float, list[ScoreRow]]:
    """The scoring pass over every candidate, unfiltered, as rank() builds it (ms, rows)."""
    t0 = time.perf_counter()
    rows = [make_row(engine, scoring_prompt(engine, c.template.split("/")[0], c.text.strip() or "?", ""), text)
            for c in result.candidates]
    rows.append(baseline_row(engine, text))
    mean_nll(engine, rows)
    return (time.perf_counter() - t0) * 1000, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mode", choices=["seed", "sample", "all"], default="seed")
    args = ap.parse_args()
    path = _model_path(args.model)
    engine = Engine(path, EngineSettings(threads=args.threads))
    print(f"model {path.name}, threads {args.threads}, N 5, max tokens {args.max_tokens}, mode {args.mode}")
    ratios: list[float] = []
    totals = [0.0, 0.0]
    for name, (text, seed_candidates) in SEED_EXAMPLES.items():
        text_tokens = len(engine.model.tokenize(text, add_special=False, parse_special=False))
        for seed in range(1, args.runs + 1):
            request = Request(text, SamplingParams(n=5, max_tokens=args.max_tokens, seed=seed))
            if args.mode == "all":
                result = engine.generate(build_prompts(engine.model, text, "auto"), request.params, ignore_eog=True)
                rank_ms, rows = score_everything(engine, text, result)
            else:
                if args.mode == "seed":
                    with forced_candidates(engine, seed_candidates):
                        result = generate_candidates(engine, request)
                else:
                    result = generate_candidates(engine, request)
                ranking = rank(engine, text, result)
                rank_ms, rows = ranking.rank_ms, scored_rows(engine, text, ranking)
            gen_ms = result.prompt_ms + result.generate_ms
            ratios.append(rank_ms / gen_ms)
            totals[0] += gen_ms
            totals[1] += rank_ms
            row_tokens = sum(len(r.prompt) + len(r.target) for r in rows)
            print(
                f"{name:6s} seed {seed}: text {text_tokens:3d} tok | generate {gen_ms:6.0f} ms"
                f" (prompts {result.prompt_tokens:4d} tok, {result.steps:3d} steps, {result.generated_tokens:4d} tok)"
                f" | rank {rank_ms:6.0f} ms ({max(0, len(rows) - 1)} scored + baseline,"
                f" {len(decode_plan(rows)) if rows else 0:4d} of {row_tokens:4d} tok decoded)"
                f" | ratio {rank_ms / gen_ms:6.1%}",
                flush=True,
            )
    print(f"ratio rank/generate: total {totals[1] / totals[0]:.1%}, median {statistics.median(ratios):.1%},"
          f" max {max(ratios):.1%} (goal <= 25%)")
    engine.close()


if __name__ == "__main__":
    main()
