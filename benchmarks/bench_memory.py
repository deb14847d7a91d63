"""Loading modes and the fit estimate: peak RSS, load time and speed of one default run per mode.

    python benchmarks/bench_memory.py [--model smollm2|gemma|PATH] [--threads 2]

Each mode runs in a fresh process: estimate (GGUF header only) → load → the default run (the demo's
parameters: 5 candidates, 256 max tokens, text "happy", seed 1) → rank. The child reports its peak RSS
(VmHWM), load time, generated tokens per second, the time of one step of 5 sequences (16 steps, end of
generation ignored) and the speed of one 256-token batch (what prompts and the scoring pass run at). Modes: mmap on/off × weight repacking on/off.
Prints the figures, the estimate/peak ratio (the fit estimate's error) and each mode vs. the app's default.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench_models import model_path

MODES = (("read+repack", False, True), ("read", False, False), ("mmap+repack", True, True), ("mmap", True, False))
DEFAULT = "read+repack"
"""The app's CPU default (opening.llama.backend.load_mode); llama.cpp's own default is mmap+repack."""


def child(path: Path, use_mmap: bool, repack: bool, threads: int, max_tokens: int) -> None:
    from opening.llama.engine import Engine, EngineSettings, SamplingParams
    from opening.models.gguf_file import inspect_gguf
    from opening.models.memory_fit import estimate, peak_rss
    from opening.pipeline.run import run_request
    from opening.pipeline.request import Request
    from opening.pipeline.templates import build_prompts

    params = SamplingParams(seed=1, max_tokens=max_tokens)
    fit = estimate(inspect_gguf(path), params, text_tokens=1, use_mmap=use_mmap, repack=repack)
    t0 = time.perf_counter()
    with Engine(path, EngineSettings(threads=threads, use_mmap=use_mmap, repack=repack)) as engine:
        load_ms = (time.perf_counter() - t0) * 1000
        outcome = run_request(engine, Request("happy", params), source="bench")
        batch_tok_s = batch_speed(engine)
        steps = engine.generate(build_prompts(engine.model, "happy", "auto"),
                                SamplingParams(n=5, max_tokens=16, seed=1), ignore_eog=True)
        step_ms = steps.generate_ms / steps.steps
    result = outcome.result
    peak = peak_rss()
    print(json.dumps({
        "estimate": fit.total, "weights": fit.weights, "kv": fit.kv_cache, "compute": fit.compute,
        "process": fit.process, "peak": peak, "load_ms": load_ms,
        "tok_s": result.generated_tokens / max(result.generate_ms / 1000, 1e-9), "batch_tok_s": batch_tok_s, "step_ms": step_ms,
    }))


def batch_speed(engine, n: int = 256) -> float:
    """Tokens/s of one n-token batch (what the prompt and the scoring pass run at)."""
    import llama_cpp.llama_cpp as L

    ctx = engine.context(n + 1, 1, exact=True)
    L.llama_memory_clear(ctx.memory, True)
    b = ctx.batch
    for j in range(n):
        b.token[j], b.pos[j], b.n_seq_id[j], b.seq_id[j][0], b.logits[j] = 5 + j % 200, j, 1, 0, j == n - 1
    t0 = time.perf_counter()
    if ctx.decode(n) != 0:
        raise SystemExit("decode failed")
    return n / (time.perf_counter() - t0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=256, help="lower it for 7B models on a CPU")
    parser.add_argument("--child", nargs=3, metavar=("PATH", "MMAP", "REPACK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1] == "1", args.child[2] == "1", args.threads, args.max_tokens)
        return 0
    path = model_path(args.model)
    print(f"model {path.name}, {path.stat().st_size / 1e6:.0f} MB, {args.threads} threads,"
          f" default run with {args.max_tokens} max tokens")
    rows = {}
    for name, use_mmap, repack in MODES:
        proc = subprocess.run([sys.executable, __file__, "--threads", str(args.threads), "--max-tokens",
                               str(args.max_tokens), "--child", str(path),
                               "1" if use_mmap else "0", "1" if repack else "0"],
                              capture_output=True, text=True, cwd=Path(__file__).parent)
        if proc.returncode != 0:
            sys.exit(f"{name} failed:\n{proc.stderr}")
        rows[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    base = rows[DEFAULT]
    print(f"{'mode':12} {'peak MB':>8} {'vs default':>10} {'load ms':>8} {'tok/s':>7} {'vs default':>10}"
          f" {'step ms':>7} {'batch tok/s':>11} {'estimate MB':>11} {'est/peak':>8}")
    for name, r in rows.items():
        print(f"{name:12} {r['peak'] / 1e6:8.0f} {r['peak'] / base['peak']:9.2f}× {r['load_ms']:8.0f}"
              f" {r['tok_s']:7.1f} {r['tok_s'] / base['tok_s']:9.2f}× {r['step_ms']:7.0f} {r['batch_tok_s']:11.1f} {r['estimate'] / 1e6:11.0f}"
              f" {r['estimate'] / r['peak']:8.2f}")
    r = base
    print(f"estimate parts (MB): weights {r['weights'] / 1e6:.0f}, KV {r['kv'] / 1e6:.0f},"
          f" buffers {r['compute'] / 1e6:.0f}, process {r['process'] / 1e6:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
