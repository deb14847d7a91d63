"""Batched candidates vs. one sequence vs. the naive loop, in one process and one run.

    python benchmarks/bench_generate.py [--model PATH|smollm2|gemma] [--threads 2] [--max-tokens 64]

Times, on the same model, prompt, threads and max tokens:
  (a) N=1 in the project's engine,
  (b) N=5 in the project's engine (one context, five sequences sharing the prompt's KV cache),
  (c) N=5 as five sequential ``llama_cpp.Llama.create_completion`` calls (the naive way; the Llama
      object keeps the evaluated prompt, so calls 2..5 reuse it).
(a) and (b) run every sequence to max tokens (end-of-generation and stop texts ignored) so that steps compare like
for like; (c) stops where the model stops, and is measured in tokens per second. Each measurement is
repeated (--repeat) and the best run kept, which is the least noisy figure on a shared machine.
Prints the figures and the ratios; not part of the test run.
"""

from __future__ import annotations

import argparse
import time

import llama_cpp

from opening.llama.engine import Engine, EngineSettings, SamplingParams
from opening.llama.engine import Prompt
from opening.pipeline.templates import build_prompts

from bench_models import model_path as _model_path

TEXT = "happy"


def raw_decode_ms(engine: Engine, prompt: tuple[int, ...], n_seq: int, steps: int) -> float:
    """ms per llama_decode of one token for each of ``n_seq`` sequences: no sampling, no Python work
    between steps; the floor that any batched engine on this build and machine can reach."""
    import llama_cpp.llama_cpp as L

    ctx = engine.context(len(prompt) + n_seq * steps + 1, n_seq)
    L.llama_memory_clear(ctx.memory, True)
    batch = ctx.batch
    for j, tok in enumerate(prompt):
        batch.token[j], batch.pos[j], batch.n_seq_id[j], batch.seq_id[j][0], batch.logits[j] = tok, j, 1, 0, False
    assert ctx.decode(len(prompt)) == 0
    for s in range(1, n_seq):
        L.llama_memory_seq_cp(ctx.memory, 0, s, -1, -1)
    elapsed = 0.0
    for step in range(steps):
        for s in range(n_seq):
            batch.token[s], batch.pos[s], batch.n_seq_id[s] = prompt[-1], len(prompt) + step, 1
            batch.seq_id[s][0], batch.logits[s] = s, True
        t0 = time.perf_counter()
        assert ctx.decode(n_seq) == 0
        elapsed += time.perf_counter() - t0
    return elapsed / steps * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    path = _model_path(args.model)
    n, max_tokens = args.n, args.max_tokens
    print(f"model {path.name}, threads {args.threads}, N {n}, max tokens {max_tokens}, best of {args.repeat}")

    engine = Engine(path, EngineSettings(threads=args.threads))
    family = "opening"  # the same raw prompt text for the engine and the naive loop
    raw = build_prompts(engine.model, TEXT, family)[0]
    prompt = Prompt(raw.template, raw.tokens, ())  # no stop texts: every sequence runs max tokens
    prompt_text = engine.model.detokenize(list(prompt.tokens))

    def engine_run(k: int):
        params = SamplingParams(n=k, max_tokens=max_tokens, seed=1, temperature=0.8)
        engine.generate([prompt], params, ignore_eog=True)  # warm the context
        return min(
            (engine.generate([prompt], params, ignore_eog=True) for _ in range(args.repeat)),
            key=lambda r: r.generate_ms,
        )

    one = engine_run(1)
    many = engine_run(n)
    raw = {k: raw_decode_ms(engine, prompt.tokens, k, max_tokens) for k in (1, n)}
    engine.close()

    llm = llama_cpp.Llama(
        model_path=str(path), n_ctx=2048, n_threads=args.threads, n_threads_batch=args.threads, verbose=False, seed=1
    )
    llm.create_completion(prompt_text, max_tokens=4, temperature=0.8)  # evaluate and keep the prompt
    best_naive = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        tokens = 0
        for i in range(n):
            out = llm.create_completion(
                prompt_text, max_tokens=max_tokens, temperature=0.8, top_p=0.9, top_k=40, seed=1 + i
            )
            tokens += out["usage"]["completion_tokens"]
        elapsed = time.perf_counter() - t0
        if best_naive is None or tokens / elapsed > best_naive[0] / best_naive[1]:
            best_naive = (tokens, elapsed)
    assert best_naive is not None
    naive_tps = best_naive[0] / best_naive[1]

    one_tps = one.generated_tokens / (one.generate_ms / 1000)
    many_tps = many.generated_tokens / (many.generate_ms / 1000)
    many_total_tps = many.generated_tokens / ((many.generate_ms + many.prompt_ms) / 1000)
    print(f"(a) engine N=1 : {one.ms_per_step:7.2f} ms/step  {one_tps:7.1f} tokens/s")
    print(f"(b) engine N={n} : {many.ms_per_step:7.2f} ms/step  {many_tps:7.1f} tokens/s"
          f"  ({many_total_tps:.1f} tokens/s with its prompt)")
    print(f"(c) naive  N={n} : {best_naive[0]} tokens in {best_naive[1] * 1000:.0f} ms  {naive_tps:7.1f} tokens/s")
    print(f"(d) raw llama_decode: N=1 {raw[1]:.2f} ms, N={n} {raw[n]:.2f} ms per step"
          f" -> kernel floor ratio {raw[n] / raw[1]:.2f}x")
    print(f"ratio step time (b)/(a)        : {many.ms_per_step / one.ms_per_step:.2f}x  (goal <= 2.0)")
    print(f"ratio tokens/s (b)/(c)         : {many_tps / naive_tps:.2f}x  (goal >= 1.5)")
    print(f"ratio tokens/s (b incl. prompt)/(c): {many_total_tps / naive_tps:.2f}x")


if __name__ == "__main__":
    main()
