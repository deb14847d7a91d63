"""Batch mode: passages per hour with one passage in flight vs K in flight, in one process and one run.

    python benchmarks/bench_batch.py [--model PATH|smollm2|gemma] [--passages 24] [-n 5] [--max-tokens 48]
                                     [--stage full|generate] [--parallel K] [--threads 2] [--corpus PAIRS.jsonl]

The corpus is the outputs of tests/data/dev_pairs.jsonl (46 real texts, English and Chinese; the first
--passages of them), or of ``--corpus`` (any file of {"instruction", "output"} pairs, e.g. the human dev
part that benchmarks/human_pairs.py writes). The model is loaded once; each configuration runs the same passages with the same
seed into its own ledger in a temporary folder:

  (a) K=1 (one passage at a time; early stops on),
  (b) K=chosen (``--parallel``, or measured as ``opening batch`` does by default; early stops on),
  (c) K=chosen with early stops off (``--no-early-stop``): the tokens and steps the early stops save.

``--stage full`` times the whole pipeline (generate, filter, score, choose, write); ``--stage generate``
times generation alone (what continuous batching changes: on a 7B model on a CPU the scoring pass, a
prompt-speed workload, takes most of a passage's time). Prints passages/h, the ratio (b)/(a), the
generated tokens and the decode steps; with ``--stage full`` it also compares the records of (b) and (c)
passage by passage (the verdict: status, chosen pair, which candidates passed; and every candidate's
text), which is the check "early stops change no record" on real texts. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench_models import model_path

from opening.base.sampling import SamplingParams
from opening.llama.engine import Engine, EngineSettings, GenerationResult
from opening.pipeline.batch import (
    BatchSpec,
    Prepared,
    open_ledger,
    passage_job,
    plan_run,
    prepare,
    run_batch,
)
from opening.pipeline.batch_plan import choose_parallel
from opening.pipeline.templates import model_family

DEV = Path(__file__).resolve().parents[1] / "tests" / "data" / "dev_pairs.jsonl"


def corpus(folder: Path, n: int, source: Path = DEV) -> Path:
    texts = [json.loads(line)["output"] for line in source.read_text(encoding="utf-8").splitlines() if line.strip()][:n]
    path = folder / "corpus.jsonl"
    path.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    return path


def run_full(engine: Engine, spec: BatchSpec, k: int, early: bool, folder: Path) -> dict[str, float]:
    spec = replace(spec, out=str(folder / f"k{k}-{early}.jsonl"), parallel=k, early_stop=early)
    ledger = open_ledger(spec, "bench", spec.family)
    prepared = prepare(engine, spec, ledger)
    plan = plan_run(engine, spec, prepared)
    t0 = time.perf_counter()
    stats = run_batch(engine, spec, prepared, ledger, plan=plan)
    seconds = time.perf_counter() - t0
    return {"k": plan.parallel.k, "passages": stats.done, "seconds": seconds, "tokens": stats.generated_tokens,
            "steps": stats.steps, "sealed": stats.sealed}


def ledger_records(folder: Path, k: int, early: bool) -> dict[str, dict]:
    path = folder / f"k{k}-{early}.jsonl"
    return {r["key"]: r for r in (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)}


def compare_records(early: dict[str, dict], full: dict[str, dict]) -> str:
    """How the records with early stops differ from those without: verdicts (status, chosen pair, which
    candidates passed) and candidate texts (a sealed candidate is cut short: only its verdict counts)."""
    verdict = texts = 0
    for key, a in early.items():
        b = full[key]
        passed = [c["rejected"] is None for c in a["candidates"]], [c["rejected"] is None for c in b["candidates"]]
        if a["status"] != b["status"] or a["pair"] != b["pair"] or passed[0] != passed[1]:
            verdict += 1
        unsealed = [(c["instruction"], d["instruction"]) for c, d in zip(a["candidates"], b["candidates"], strict=True)
                    if c["finish_reason"] != "sealed"]
        if any(x != y for x, y in unsealed):
            texts += 1
    return (f"records with vs without early stops: {len(early) - verdict} of {len(early)} with the same verdict,"
            f" {len(early) - texts} with the same text for every candidate not stopped early")


def run_generate(engine: Engine, spec: BatchSpec, prepared: Prepared, k: int, early: bool) -> dict[str, float]:
    """Generation alone: the same jobs run_batch makes, through generate_many, without ranking."""
    params = spec.params
    plan = plan_run(engine, replace(spec, parallel=k), prepared)

    results: list[GenerationResult] = []
    made = [passage_job(engine, replace(spec, early_stop=early), p, key) for p, key in prepared.passages]
    t0 = time.perf_counter()
    scheduler = engine.generate_many(made, lambda _j, r: results.append(r), slots=k, per_slot=params.n,
                                     cells=k * plan.cells + 1)
    seconds = time.perf_counter() - t0
    return {"k": k, "passages": len(results), "seconds": seconds, "tokens": sum(r.generated_tokens for r in results),
            "steps": scheduler.steps, "sealed": sum(c.finish_reason == "sealed" for r in results for c in r.candidates)}


def prompt_speed_by_batch(engine: Engine, sizes: tuple[int, ...] = (64, 128, 256, 512)) -> dict[int, float]:
    """Prompt tokens/s when a decode carries ``size`` prompt tokens (the scoring pass is this workload:
    whether rows of several passages in one decode would help depends on how this curve flattens)."""
    import time as _time

    token = engine.model.bos if engine.model.bos >= 0 else 0
    out = {}
    for size in sizes:
        ctx = engine.context(size + 1, 1, exact=True)
        best = float("inf")
        for _ in range(2):
            ctx.clear()
            for k in range(size):
                ctx.put(k, token, k, 0, k == size - 1)
            t0 = _time.perf_counter()
            if ctx.decode(size) != 0:
                raise RuntimeError("decode failed")
            best = min(best, _time.perf_counter() - t0)
        out[size] = size / best
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--passages", type=int, default=24)
    parser.add_argument("-n", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--stage", choices=("full", "generate"), default="full")
    parser.add_argument("--parallel", type=int, default=0, help="K for (b); 0: measured")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-c", action="store_true", help="skip (c), the run without early stops")
    parser.add_argument("--skip-a", action="store_true", help="skip (a), K=1 (with --parallel 1: only the early-stop check)")
    parser.add_argument("--corpus", type=Path, default=DEV, help="pairs whose outputs are the passages")
    args = parser.parse_args()
    path = model_path(args.model)
    engine = Engine(path, EngineSettings(threads=args.threads))
    family = model_family("auto", engine.model.info)
    params = SamplingParams(n=args.n, max_tokens=args.max_tokens, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = BatchSpec([str(corpus(folder, args.passages, args.corpus))], str(folder / "probe.jsonl"), params, family)
        ledger = open_ledger(spec, "bench", family)
        prepared = prepare(engine, spec, ledger)
        cells = plan_run(engine, replace(spec, parallel=1), prepared).cells
        chosen = choose_parallel(engine, params, cells, len(prepared.passages), args.parallel)
        print(f"{Path(path).name}: {len(prepared.passages)} passages, n={args.n}, max tokens {args.max_tokens},"
              f" {args.threads} threads, stage {args.stage}; K chosen: {chosen.k} ({chosen.reason})", flush=True)
        speeds = prompt_speed_by_batch(engine)
        print("prompt tokens/s by tokens per decode (the scoring workload): "
              + ", ".join(f"{size}: {tps:.0f}" for size, tps in speeds.items()), flush=True)
        rows = {}
        configs = [("a K=1", 1, True), (f"b K={chosen.k}", chosen.k, True), (f"c K={chosen.k} no early stop", chosen.k, False)]
        for label, k, early in [c for c in configs[: 2 if args.skip_c else 3] if not (args.skip_a and c[0].startswith("a"))]:
            if args.stage == "full":
                row = run_full(engine, spec, k, early, folder)
            else:
                row = run_generate(engine, spec, prepared, k, early)
            row["per_hour"] = 3600.0 * row["passages"] / row["seconds"]
            rows[label[0]] = row
            print(f"({label}): {row['per_hour']:.0f} passages/h ({row['seconds']:.1f} s), {row['tokens']:.0f} tokens"
                  f" generated, {row['steps']:.0f} decode steps, {row['sealed']:.0f} candidates stopped early", flush=True)
        if args.stage == "full" and not args.skip_c:
            print(compare_records(ledger_records(folder, chosen.k, True), ledger_records(folder, chosen.k, False)))
    b = rows["b"]
    if "a" in rows:
        print(f"K={chosen.k} vs K=1: {b['per_hour'] / rows['a']['per_hour']:.2f}× passages/h")
    if args.skip_c:
        engine.close()
        return 0
    c = rows["c"]
    print(f"early stops at K={chosen.k}: {c['tokens'] - b['tokens']:.0f} tokens"
          f" ({(c['tokens'] - b['tokens']) / max(c['tokens'], 1):.0%}) and {c['steps'] - b['steps']:.0f} steps saved;"
          f" {c['per_hour'] and b['per_hour'] / c['per_hour']:.2f}× passages/h")
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
