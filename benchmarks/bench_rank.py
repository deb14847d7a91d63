"""Ranking cost vs. generation cost for the same request, in one process and one run.

    python benchmarks/bench_rank.py [--model smollm2|gemma|PATH] [--max-tokens 256] [--runs 3]

For each of the seed's two texts (English "happy", Chinese 小马过河) and each run (seeds 1..runs):
generate N=5 candidates with the demo's defaults, then rank them (clean, filter, one batched scoring
pass with the baseline row). Prints generation ms, ranking ms and their ratio (goal <= 25%).

``--all`` measures the worst case instead: every candidate runs to max tokens (end-of-generation
ignored) and every one is scored (the filter is skipped), so the figure does not depend on how many
candidates a model's output gets rejected. Use it with a real-scale model (a random-weight 7B from
bench_convert_7b.py writes no usable instructions, so the normal mode would score nothing there).
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_models import model_path as _model_path
from opening.engine import Engine, EngineSettings, SamplingParams
from opening.ranking import baseline_row, rank, scoring_prompt
from opening.request import Request, generate_candidates
from opening.scoring import make_row, mean_nll
from opening.templates import build_prompts

TEXTS = {
    "happy": "happy",
    "xiaoma": "老马让小马把半口袋麦子驮到磨坊去。途中遇到一条小河，小马询问老牛能不能过河。老牛说：“水很浅，刚没小腿，能过去。”",
}


def score_everything(engine: Engine, text: str, result) -> tuple[float, int]:
    """The scoring pass over every candidate, unfiltered, as rank() builds it (ms, rows)."""
    t0 = time.perf_counter()
    rows = [make_row(engine, scoring_prompt(engine, c.template.split("/")[0], c.text.strip() or "?", ""), text)
            for c in result.candidates]
    mean_nll(engine, rows + [baseline_row(engine, text)])
    return (time.perf_counter() - t0) * 1000, len(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--all", action="store_true", help="worst case: full-length candidates, all scored")
    args = ap.parse_args()
    path = _model_path(args.model)
    engine = Engine(path, EngineSettings(threads=args.threads))
    print(f"model {path.name}, threads {args.threads}, N 5, max tokens {args.max_tokens}")
    ratios = []
    for name, text in TEXTS.items():
        for seed in range(1, args.runs + 1):
            request = Request(text, SamplingParams(n=5, max_tokens=args.max_tokens, seed=seed))
            if args.all:
                result = engine.generate(build_prompts(engine.model, text, "auto"), request.params, ignore_eog=True)
                rank_ms, scored = score_everything(engine, text, result)
            else:
                result = generate_candidates(engine, request)
                ranking = rank(engine, text, result)
                rank_ms, scored = ranking.rank_ms, sum(c.nll is not None for c in ranking.candidates)
            gen_ms = result.prompt_ms + result.generate_ms
            ratios.append(rank_ms / gen_ms)
            print(f"{name:7s} seed {seed}: generate {gen_ms:7.0f} ms ({result.generated_tokens:4d} tokens)"
                  f"  rank {rank_ms:6.0f} ms ({scored} scored)  ratio {rank_ms / gen_ms:6.1%}", flush=True)
    print(f"ratio rank/generate: median {statistics.median(ratios):.1%}, max {max(ratios):.1%} (goal <= 25%)")
    engine.close()


if __name__ == "__main__":
    main()
