"""The speed cost of the bundle's portable llama.cpp against this machine's native build, in one run.

    python benchmarks/bench_portable.py [--portable build/bundle-venv/bin/python] [--variants haswell,sse42]

``python packaging/build.py`` leaves the portable build in ``build/bundle-venv``. Each configuration runs
in a process of its own (one llama.cpp per process) on the same model, prompt and threads:

* native — the development install (GGML_NATIVE: compiled for this CPU);
* portable — the bundle's build, the CPU library ggml picks for this CPU;
* portable/VARIANT — the same build forced to an older CPU's library (``OPENING_CPU_VARIANT``): what a
  laptop with that CPU runs, measured on this one.

Measured per configuration (best of --repeat): the engine's N=5 generation (tokens/s, every sequence to
max tokens), prompt decoding (the three reverse prompts and the scoring pass are prompt-speed work:
tokens/s of one 256-token batch), and a whole ``opening.generate`` run of the poster's English example.
Prints the figures and each configuration's ratio to native; not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def worker(repeat: int, threads: int, max_tokens: int) -> dict[str, float | str]:
    """Runs inside one configuration's process; prints nothing but its JSON line."""
    import opening
    from opening.llama.backend import cpu_library
    from opening.llama.engine import Engine, EngineSettings, Prompt, SamplingParams
    from opening.models.resolve import embedded_model
    from opening.pipeline.templates import build_prompts

    path = embedded_model()
    assert path is not None
    engine = Engine(path, EngineSettings(threads=threads))
    raw = build_prompts(engine.model, "happy", "opening")[0]
    prompt = Prompt(raw.template, raw.tokens, ())
    params = SamplingParams(n=5, max_tokens=max_tokens, seed=1, temperature=0.8)
    engine.generate([prompt], params, ignore_eog=True)  # warm
    runs = [engine.generate([prompt], params, ignore_eog=True) for _ in range(repeat)]
    gen_tps = max(r.generated_tokens / (r.generate_ms / 1000) for r in runs)
    prefill_tps = max(_prefill_tps(engine, 256) for _ in range(repeat))
    whole = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        opening.generate(engine, "happy", n=5, max_tokens=max_tokens, seed=1)
        whole.append(time.perf_counter() - t0)
    engine.close()
    return {"cpu": cpu_library() or "native", "generate_tps": gen_tps, "prefill_tps": prefill_tps, "run_s": min(whole)}


def _prefill_tps(engine: object, n_tokens: int) -> float:
    import llama_cpp.llama_cpp as L

    ctx = engine.context(n_tokens + 1, 1)  # type: ignore[attr-defined]
    L.llama_memory_clear(ctx.memory, True)
    batch = ctx.batch
    token = engine.model.bos if engine.model.bos >= 0 else 1  # type: ignore[attr-defined]
    for j in range(n_tokens):
        batch.token[j], batch.pos[j], batch.n_seq_id[j], batch.seq_id[j][0], batch.logits[j] = token, j, 1, 0, j == n_tokens - 1
    t0 = time.perf_counter()
    assert ctx.decode(n_tokens) == 0
    return n_tokens / (time.perf_counter() - t0)


def run_config(python: str, variant: str, args: argparse.Namespace) -> dict[str, float | str]:
    env = {**os.environ, "OPENING_HOME": str(ROOT / "build" / "bench-home")}
    env.pop("OPENING_CPU_VARIANT", None)
    if variant:
        env["OPENING_CPU_VARIANT"] = variant
    cmd = [python, str(Path(__file__)), "--worker", "--repeat", str(args.repeat), "--threads", str(args.threads),
           "--max-tokens", str(args.max_tokens)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=HERE)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--portable", default=str(ROOT / "build" / "bundle-venv" / "bin" / "python"))
    ap.add_argument("--variants", default="haswell,sse42")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.repeat, args.threads, args.max_tokens)))
        return
    if not Path(args.portable).exists():
        sys.exit(f"no portable build at {args.portable}: run python packaging/build.py first")
    configs = [("native", sys.executable, ""), ("portable", args.portable, "")]
    configs += [(f"portable/{v}", args.portable, v) for v in args.variants.split(",") if v]
    results = {name: run_config(python, variant, args) for name, python, variant in configs}
    base = results["native"]
    print(f"SmolLM2, N=5, {args.max_tokens} tokens, {args.threads} threads, best of {args.repeat}")
    print(f"{'build':18} {'CPU library':28} {'gen tok/s':>9} {'prefill tok/s':>13} {'run s':>7}   ratios to native")
    for name, r in results.items():
        ratios = (f"gen {float(r['generate_tps']) / float(base['generate_tps']):.2f}x, "
                  f"prefill {float(r['prefill_tps']) / float(base['prefill_tps']):.2f}x, "
                  f"run {float(base['run_s']) / float(r['run_s']):.2f}x")
        print(f"{name:18} {r['cpu']!s:28} {float(r['generate_tps']):9.1f} {float(r['prefill_tps']):13.1f}"
              f" {float(r['run_s']):7.2f}   {ratios}")


if __name__ == "__main__":
    main()
