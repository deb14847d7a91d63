"""The fit estimate against the measured peak, model by model, on this CPU's llama.cpp build.

    python benchmarks/bench_fit.py [--models smollm2,gemma,qwen0.5b,qwen1.5b] [--seven-b FOLDER]

Each model runs in a fresh process: the estimate (GGUF header only, before loading) → load → the default
run (the demo's parameters: 5 candidates, 256 max tokens, text "happy", seed 1) → rank. The child reports
its peak RSS (VmHWM). ``--seven-b FOLDER`` also writes a Baichuan-7B-shaped Q4_K_M GGUF there (4096 hidden,
32 layers, 11008 FFN, 64000 vocab; 4 GB, random but valid quantized blocks: a minute, not the half hour of
converting a checkpoint) and measures it the same way. The CPU library a portable build picked (or
``OPENING_CPU_VARIANT``) is printed, since the buffers llama.cpp repacks weights into differ by
instruction set: run it once per build (docs/testing.md says how to get an AVX2-only one).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_models import model_path  # noqa: E402

E, FF, LAYERS, VOCAB, HEADS = 4096, 11008, 32, 64000, 32
Q4_K_BLOCK, Q6_K_BLOCK = 144, 210  # bytes per 256 weights


def child(path: str) -> None:
    from opening.base.sampling import SamplingParams
    from opening.llama.backend import cpu_library
    from opening.llama.engine import Engine, EngineSettings
    from opening.models.gguf_file import inspect_gguf
    from opening.models.memory_fit import estimate, peak_rss
    from opening.pipeline.request import Request
    from opening.pipeline.run import run_request

    params = SamplingParams(seed=1)
    fit = estimate(inspect_gguf(Path(path)), params, text_tokens=1)
    with Engine(path, EngineSettings(threads=2)) as engine:
        run_request(engine, Request("happy", params), source="bench")
    print(json.dumps({"estimate": fit.total, "weights": fit.weights, "peak": peak_rss(), "cpu": cpu_library() or "native"}))


def _blocks(rows: int, cols: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """Random quantized rows whose scales are a small valid float16 (no NaN or Inf in the weights)."""
    data = rng.integers(0, 256, size=(rows, cols // 256 * block), dtype=np.uint8)
    scale = np.frombuffer(np.float16(1e-3).tobytes(), dtype=np.uint8)
    view = data.reshape(rows, cols // 256, block)
    if block == Q4_K_BLOCK:  # d, dmin first
        view[:, :, 0:2] = scale
        view[:, :, 2:4] = scale
    else:  # Q6_K: d last; int8 scales before it
        view[:, :, 208:210] = scale
    return data


def write_seven_b(path: Path) -> Path:
    """A llama-architecture GGUF with Baichuan-7B's shapes in llama.cpp's Q4_K_M mix (Q6_K for the output,
    and for attn_v / ffn_down in half the layers), SmolLM2's tokenizer padded to 64,000 tokens."""
    from gguf import GGMLQuantizationType as Q
    from gguf import GGUFReader, GGUFWriter

    if path.exists():
        return path
    smol = GGUFReader(str(model_path("smollm2")))
    tokens = [bytes(smol.fields["tokenizer.ggml.tokens"].parts[i]).decode("utf-8") for i in smol.fields["tokenizer.ggml.tokens"].data]
    types = [int(smol.fields["tokenizer.ggml.token_type"].parts[i][0]) for i in smol.fields["tokenizer.ggml.token_type"].data]
    merges = [bytes(smol.fields["tokenizer.ggml.merges"].parts[i]).decode("utf-8") for i in smol.fields["tokenizer.ggml.merges"].data]
    tokens += [f"<|pad_{i}|>" for i in range(VOCAB - len(tokens))]
    types += [3] * (VOCAB - len(types))
    part = path.with_suffix(".part")
    writer = GGUFWriter(str(part), "llama")
    writer.add_name("random Baichuan-7B shape Q4_K_M")
    writer.add_context_length(4096)
    writer.add_embedding_length(E)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FF)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_dimension_count(E // HEADS)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_file_type(15)  # MOSTLY_Q4_K_M
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(False)
    writer.add_chat_template(smol.fields["tokenizer.chat_template"].contents())
    rng = np.random.default_rng(0)
    ones = np.ones(E, dtype=np.float32)

    def quantized(name: str, rows: int, cols: int, six: bool) -> None:
        qtype, block = (Q.Q6_K, Q6_K_BLOCK) if six else (Q.Q4_K, Q4_K_BLOCK)
        writer.add_tensor(name, _blocks(rows, cols, block, rng), raw_dtype=qtype)  # shape from the bytes

    quantized("token_embd.weight", VOCAB, E, False)
    for i in range(LAYERS):
        more = i % 2 == 0
        writer.add_tensor(f"blk.{i}.attn_norm.weight", ones)
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", ones)
        for name in ("attn_q", "attn_k", "attn_output"):
            quantized(f"blk.{i}.{name}.weight", E, E, False)
        quantized(f"blk.{i}.attn_v.weight", E, E, more)
        quantized(f"blk.{i}.ffn_gate.weight", FF, E, False)
        quantized(f"blk.{i}.ffn_up.weight", FF, E, False)
        quantized(f"blk.{i}.ffn_down.weight", E, FF, more)
    writer.add_tensor("output_norm.weight", ones)
    quantized("output.weight", VOCAB, E, True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    part.replace(path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="smollm2,gemma,qwen0.5b,qwen1.5b")
    parser.add_argument("--seven-b", type=Path, help="a folder for the 4 GB 7B-shaped GGUF (kept for later runs)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    paths: list[tuple[str, Path]] = []
    for name in filter(None, args.models.split(",")):
        if name.startswith("qwen"):
            from qwen_models import model_path as qwen_path

            paths.append((name, qwen_path(name)))
        else:
            paths.append((name, model_path(name)))
    if args.seven_b:
        args.seven_b.mkdir(parents=True, exist_ok=True)
        paths.append(("7B shape Q4_K_M", write_seven_b(args.seven_b / "baichuan-7b-shape.Q4_K_M.gguf")))
    print(f"{'model':18} {'estimate MB':>12} {'peak MB':>8} {'estimate/peak':>14}  cpu library")
    for name, path in paths:
        proc = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{name}: failed\n{proc.stderr[-2000:]}")
            continue
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        ratio = got["estimate"] / got["peak"]
        print(f"{name:18} {got['estimate'] / 1e6:12.0f} {got['peak'] / 1e6:8.0f} {ratio:14.2f}  {got['cpu']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
