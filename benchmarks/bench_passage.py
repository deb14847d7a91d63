"""Seconds per passage, by phase, before and after each speed change, in one run.

    python benchmarks/bench_passage.py [--model PATH ...] [--scorer PATH] [--threads 2] [--seed 1]

For each model (default: Qwen2.5-Coder-1.5B-Instruct Q4_K_M and SmolLM2, see benchmarks/qwen_models.py)
and each text (the seed's "happy" and 小马过河, and a 500-token English text made of the dev set's
outputs), the same request (defaults: n=5, max tokens 256, the chat family) runs under five
configurations, each adding one change:

  0 before     every prompt decoded whole, candidates run to their end, r-IFD always scored
  1 +prefix    the text decoded once for every style (the shared prefix)
  2 +early     doomed candidates stopped early (the seal rules)
  3 +scores    r-IFD's rows only when the policy needs them (the default now)
  4 +scorer    a smaller model scores (``--scorer``; Qwen 0.5B for Qwen 1.5B; skipped for a model given no
               scorer)
  5 +warm      the engine ran another text of the same language and kind first: the system turn and the
               examples are kept decoded (the window, the API, eval-choice); with the scorer when row 4 ran

and prints prompt / generation / scoring seconds, the passage time, and its ratio to one raw decode of
the text's tokens (one llama_decode batch of them, best of three: the floor for reading the text once).
A run before the rows warms the model up. One run each: a shared machine is noisy; compare rows of the
same run. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench_models import model_path
from qwen_models import model_path as qwen_model
from seed_examples import SEED_EXAMPLES

from opening.base.choice import Choice
from opening.base.sampling import SamplingParams
from opening.llama.engine import Engine, EngineSettings
from opening.pipeline.instruct_prompt import SAMPLE_TEXTS, text_kind, text_language
from opening.pipeline.ranking import rank
from opening.pipeline.request import early_stop_rule
from opening.pipeline.run import open_scorer
from opening.pipeline.templates import build_prompts

DEV = Path(__file__).resolve().parents[1] / "tests" / "data" / "dev_pairs.jsonl"
CONFIGS = (
    ("0 before", False, False, True, False, False),
    ("1 +prefix", True, False, True, False, False),
    ("2 +early", True, True, True, False, False),
    ("3 +scores", True, True, False, False, False),
    ("4 +scorer", True, True, False, True, False),
    ("5 +warm", True, True, False, True, True),
)
"""label, shared prefix, early stops, r-IFD always, scorer, warm (every row but 5 starts cold)."""


def same_kind(text: str) -> str:
    """Another text of the same language and kind (the prompt head is theirs alone)."""
    key = (text_language(text), text_kind(text))
    return next(t for t in SAMPLE_TEXTS if (text_language(t), text_kind(t)) == key)


def long_text(engine: Engine, tokens: int = 500) -> str:
    """The dev set's English outputs joined until ``tokens`` tokens, cut there."""
    outputs = [json.loads(line)["output"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    english = [o for o in outputs if o.isascii()]
    ids = engine.model.tokenize("\n\n".join(english), add_special=False, parse_special=False)
    return engine.model.detokenize(ids[:tokens])


def raw_decode_s(engine: Engine, text: str) -> float:
    """One decode of the text's tokens (in n_batch pieces), best of three."""
    ids = engine.model.tokenize(text, add_special=True, parse_special=False)
    ctx = engine.context(len(ids) + 1, 1)
    best = float("inf")
    for _ in range(3):
        ctx.clear()
        t0 = time.perf_counter()
        for start in range(0, len(ids), ctx.n_batch):
            piece = ids[start : start + ctx.n_batch]
            for k, tok in enumerate(piece):
                ctx.put(k, tok, start + k, 0, start + k == len(ids) - 1)
            if ctx.decode(len(piece)) != 0:
                raise RuntimeError("decode failed")
        best = min(best, time.perf_counter() - t0)
    return best


def passage(engine: Engine, text: str, seed: int, shared: bool, early: bool, rifd: bool) -> dict[str, float]:
    params = SamplingParams(seed=seed)
    prompts = build_prompts(engine.model, text, "auto")
    seal = early_stop_rule(text) if early else None
    result = engine.generate(prompts, params, seal=seal, share_prefix=shared)
    ranking = rank(engine, text, result, choice=Choice(), rifd=True if rifd else None)
    chosen = ranking.candidates[ranking.chosen].prompt_text if ranking.chosen is not None else None
    return {
        "prompt": result.prompt_ms / 1000,
        "generate": result.generate_ms / 1000,
        "score": ranking.rank_ms / 1000,
        "prompt_tokens": result.prompt_tokens,
        "generated": result.generated_tokens,
        "cached": result.cached_tokens,
        "chosen": chosen,  # type: ignore[dict-item]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", help="a GGUF path, smollm2, qwen1.5b or qwen0.5b (repeatable)")
    parser.add_argument("--scorer", default="qwen0.5b", help="the scorer for Qwen 1.5B (row 4); 'none' skips row 4")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    models = args.model or ["qwen1.5b", "smollm2"]
    for name in models:
        path = qwen_model(name) if name.startswith("qwen") else model_path(name)
        engine = Engine(path, EngineSettings(threads=args.threads))
        scorer = None
        if name == "qwen1.5b" and args.scorer != "none":
            scorer = qwen_model(args.scorer) if args.scorer.startswith("qwen") else Path(args.scorer)
        texts = {"happy": "happy", "xiaoma": SEED_EXAMPLES["xiaoma"][0], "500 tokens": long_text(engine)}
        print(f"\n{engine.model.name}, {args.threads} threads, seed {args.seed}")
        print(
            "| text | config | prompt s | generation s | scoring s | passage s | × raw decode | prompt tokens (kept)"
            " | generated | chosen |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for label, text in texts.items():
            raw = raw_decode_s(engine, text)
            for config, shared, early, rifd, use_scorer, warm in CONFIGS:
                if use_scorer and scorer is not None:
                    open_scorer(engine, scorer, EngineSettings(threads=args.threads))
                elif use_scorer and not warm:
                    continue
                # a cold row first runs a text of another kind (its head replaces this one's); a warm row one of this kind
                other = same_kind(text) if warm else ("x" if text_kind(text) != "label" else "x " * 12)
                passage(engine, other, args.seed, shared, early, rifd)
                row = passage(engine, text, args.seed, shared, early, rifd)
                if engine.scorer is not None:
                    engine.scorer.close()
                    engine.scorer = None
                total = row["prompt"] + row["generate"] + row["score"]
                chosen = str(row["chosen"])[:40].replace("\n", " ").replace("|", "/")
                print(
                    f"| {label} | {config} | {row['prompt']:.2f} | {row['generate']:.2f} | {row['score']:.2f} |"
                    f" {total:.2f} | {total / raw:.1f}× | {row['prompt_tokens']:.0f} ({row['cached']:.0f}) |"
                    f" {row['generated']:.0f} | {chosen} |",
                    flush=True,
                )
            n_tokens = len(engine.model.tokenize(text, add_special=True, parse_special=False))
            print(f"| {label} | raw decode of its {n_tokens} tokens | | | | {raw:.2f} | 1.0× | | | |", flush=True)
        engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
