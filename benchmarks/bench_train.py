"""Training throughput on this machine, and what it means for bigger runs elsewhere.

    python benchmarks/bench_train.py [--models smollm2,qwen0.5b] [--length 256] [--steps 4] [--threads 2]

For each model (its GGUF, loaded as a float32 model by transformers' GGUF loader, as ``opening-train fit
--base MODEL.gguf`` does): the laptop preset's recipe — LoRA r=16 (alpha 32) on every projection,
gradient checkpointing, one sequence of ``--length`` tokens per micro-step, 8 micro-steps per optimiser
step — for ``--steps`` optimiser steps after one warm-up step; prints tokens/s and the achieved FLOP/s,
counting ``6 × parameters`` per token (forward 2, backward 2 for the activations' gradients, and the
checkpointed forward again 2; the adapters' own gradients are negligible).

Then a projection for the generator's real sizes, from the same count and published peak figures, at
the model FLOPs utilisation (MFU) fine-tuning runs typically reach (40 %; MosaicML's llm-foundry reports
37–52 % for 1–7B models on A100s with bf16): the tokens of the original's training set (36,511 pairs ×
256 tokens ≈ 9.3 M tokens per epoch) on one A100 (312 TFLOP/s bf16 dense, NVIDIA's datasheet) and on one
RTX 4090 (165 TFLOP/s bf16 dense with FP32 accumulation, NVIDIA's Ada whitepaper), for Qwen 1.5B and a
7B. A projection, not a measurement: the note says so. Not part of the test run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_models import model_path  # noqa: E402

ORIGINAL_TOKENS = 36_511 * 256
"""The original's training set, at a typical 256 tokens per reversed pair (REFERENCE §1: 36,511 pairs)."""
GPUS = {"A100 (312 TFLOP/s bf16)": 312e12, "RTX 4090 (165 TFLOP/s bf16)": 165e12}
MFU = 0.40
SIZES = {"Qwen2.5 1.5B": 1.54e9, "Baichuan-7B": 7.0e9}


def measure(path: Path, length: int, steps: int, threads: int) -> tuple[int, float]:
    """(parameters, tokens/s) of the laptop recipe on this CPU."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from opening_train.recipe import LORA_TARGETS, PRESETS

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    params = sum(p.numel() for p in model.parameters())
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.enable_input_require_grads()
    model = get_peft_model(
        model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=list(LORA_TARGETS), task_type="CAUSAL_LM")
    )
    model.train()
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4)
    accum = int(PRESETS["laptop"]["grad_accum"])
    vocab = model.config.vocab_size

    def step() -> None:
        for _ in range(accum):
            ids = torch.randint(0, vocab, (1, length))
            loss = model(input_ids=ids, labels=ids).loss / accum
            loss.backward()
        optimiser.step()
        optimiser.zero_grad()

    step()  # warm-up (allocations, first-use kernels)
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - t0
    return params, steps * accum * length / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="smollm2,qwen0.5b")
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(f"LoRA r=16 on every projection, gradient checkpointing, 1 × {args.length} tokens × 8 per step, {args.threads} threads")
    print("| model | parameters | tokens/s | achieved GFLOP/s | 400 pairs × 190 tokens |")
    print("|---|---|---|---|---|")
    for name in args.models.split(","):
        params, tps = measure(Path(model_path(name)), args.length, args.steps, args.threads)
        flops = 6 * params * tps
        print(f"| {name} | {params / 1e6:.0f} M | {tps:.1f} | {flops / 1e9:.0f} | {400 * 190 / tps / 60:.0f} min |", flush=True)
    print(f"\nProjected (6 × parameters per token at {MFU:.0%} MFU; published peaks), one epoch of the original's"
          f" {ORIGINAL_TOKENS / 1e6:.1f} M tokens:")
    print("| model | " + " | ".join(GPUS) + " |")
    print("|---|" + "---|" * len(GPUS))
    for model, n in SIZES.items():
        cells = [f"{6 * n * ORIGINAL_TOKENS / (MFU * peak) / 3600:.1f} h" for peak in GPUS.values()]
        print(f"| {model} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
