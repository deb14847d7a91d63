"""Ranking cost vs. generation cost for the same request, in one process and one run.

    python benchmarks/bench_rank.py [--model smollm2|gemma|PATH] [--max-tokens 256] [--runs 3]

For each of the seed's two texts (English "happy", Chinese 小马过河) and each run (seeds 1..runs):
generate N=5 candidates with the demo's defaults, then rank them (clean, filter, one batched scoring
pass with the baseline row). Prints generation ms, ranking ms and their ratio (goal <= 25%).
"""

from __future__ import annotations

import argparse
import statistics

from bench_models import model_path as _model_path
from opening.engine import Engine, EngineSettings, SamplingParams
from opening.ranking import rank
from opening.request import Request, generate_candidates

TEXTS = {
    "happy": "happy",
    "xiaoma": "老马让小马把半口袋麦子驮到磨坊去。途中遇到一条小河，小马询问老牛能不能过河。老牛说：“水很浅，刚没小腿，能过去。”",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    path = _model_path(args.model)
    engine = Engine(path, EngineSettings(threads=args.threads))
    print(f"model {path.name}, threads {args.threads}, N 5, max tokens {args.max_tokens}")
    ratios = []
    for name, text in TEXTS.items():
        for seed in range(1, args.runs + 1):
            request = Request(text, SamplingParams(n=5, max_tokens=args.max_tokens, seed=seed))
            result = generate_candidates(engine, request)
            ranking = rank(engine, text, result)
            gen_ms = result.prompt_ms + result.generate_ms
            scored = sum(c.nll is not None for c in ranking.candidates)
            ratios.append(ranking.rank_ms / gen_ms)
            print(f"{name:7s} seed {seed}: generate {gen_ms:7.0f} ms ({result.generated_tokens:4d} tokens)"
                  f"  rank {ranking.rank_ms:6.0f} ms ({scored} scored)  ratio {ranking.rank_ms / gen_ms:6.1%}")
    print(f"ratio rank/generate: median {statistics.median(ratios):.1%}, max {max(ratios):.1%} (goal <= 25%)")
    engine.close()


if __name__ == "__main__":
    main()
