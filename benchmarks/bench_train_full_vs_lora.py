"""Full fine-tuning vs LoRA with ``opening-train fit`` on this machine's CPU, in one run: what each costs
per optimiser step and in peak memory, and how many weights each trains.

    python benchmarks/bench_train_full_vs_lora.py [--layers 8] [--embd 512] [--steps 12]

Builds a random Llama checkpoint (the tests' tiny_checkpoint, at the size asked) and the tests' reversed
set, then runs ``opening-train fit`` twice as a user does (full, then ``--lora``), same data, batch 4,
gradient checkpointing on. Prints seconds per optimiser step (the median of the steps after the first),
peak RSS of each process, trainable parameters, and the LoRA/full ratios. Needs the ``train`` extra. The
7B figures in the README are worked out from parameter counts, not measured here (no GPU, 24 GiB).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def run_fit(args: list[str]) -> tuple[float, int]:
    """The whole command's wall seconds and its peak RSS in bytes (polled every 50 ms)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "opening_train", "fit", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ps, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.05)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"fit failed:\n{err}")
    return time.monotonic() - t0, peak


def per_step(run: Path) -> float:
    times = [json.loads(line)["time"] for line in (run / "train-log.jsonl").read_text().splitlines()]
    return statistics.median(b - a for a, b in zip(times[1:], times[2:], strict=False))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--embd", type=int, default=512)
    ap.add_argument("--steps", type=int, default=12)
    a = ap.parse_args()
    from tiny_checkpoint import Shape, make_checkpoint, train_tokenizer
    from tiny_training import train_cli, write_sources  # the same sources and reversed set as the tests

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tokenizer = train_tokenizer(root)
        shape = Shape(family="llama", n_embd=a.embd, n_ff=a.embd * 2, n_head=8, n_head_kv=8, n_layer=a.layers)
        make_checkpoint(root / "base", shape, tokenizer=tokenizer)
        src = write_sources(root / "src")
        data = root / "reversed.jsonl"
        done = train_cli("data", "--sni", str(src["sni"]), "--dolly", str(src["dolly"]), "--firefly", str(src["firefly"]),
                         "--out", str(data), "--total", "60", "--mix", "sni=1,dolly=3,firefly=1")
        assert done.returncode == 0, done.stderr
        rows = {}
        for name, extra in (("full", []), ("lora", ["--lora"])):
            out = root / name
            wall, peak = run_fit(["--base", str(root / "base"), "--data", str(data), "--out", str(out), "--max-steps", str(a.steps),
                                     "--batch-size", "4", "--grad-accum", "1", "--lr", "1e-4", *extra])
            rows[name] = (per_step(out), peak, wall)
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM

        from opening_train.recipe import LORA_TARGETS, Recipe

        model = AutoModelForCausalLM.from_pretrained(root / "full")
        params = sum(p.numel() for p in model.parameters())
        r = Recipe()
        lora = get_peft_model(model, LoraConfig(r=r.lora_r, lora_alpha=r.lora_alpha, target_modules=list(LORA_TARGETS)))
        trainable = sum(p.numel() for p in lora.parameters() if p.requires_grad)
    print(f"random Llama, {a.layers} layers × {a.embd}, {params / 1e6:.1f} M parameters; {a.steps} steps of batch 4, CPU")
    print("| fit | s/step | peak RSS | whole command | trained parameters |")
    print("|---|---|---|---|---|")
    print(f"| full | {rows['full'][0]:.2f} | {rows['full'][1] / 2**20:.0f} MB | {rows['full'][2]:.0f} s | {params / 1e6:.1f} M |")
    print(f"| LoRA r=16 | {rows['lora'][0]:.2f} | {rows['lora'][1] / 2**20:.0f} MB | {rows['lora'][2]:.0f} s | {trainable / 1e6:.2f} M |")
    print(f"LoRA/full: {rows['lora'][0] / rows['full'][0]:.2f}x time per step, {rows['lora'][1] / rows['full'][1]:.2f}x peak RSS,"
          f" {trainable / params:.3f}x trained parameters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
