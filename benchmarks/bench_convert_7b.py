"""A random Baichuan-7B-shaped checkpoint (4096 hidden, 32 layers, 11008 FFN, 64000 vocab; F16
safetensors, ~14 GB) → opening-convert → Q4_K_M (or --types): conversion time and peak RSS of each stage.

    python benchmarks/bench_convert_7b.py --work /big/disk/folder [--keep]

Not part of CI (it writes ~32 GB and takes tens of minutes on 2 cores). Keep the Q4_K_M it leaves
(--keep) to benchmark generation and memory at real scale: bench_generate.py / bench_memory.py --model PATH.
Each stage runs in its own process and reports its VmHWM.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

E, FF, LAYERS, VOCAB, HEADS = 4096, 11008, 32, 64000, 32


def tensors() -> list[tuple[str, tuple[int, ...]]]:
    out: list[tuple[str, tuple[int, ...]]] = [("model.embed_tokens.weight", (VOCAB, E))]
    for i in range(LAYERS):
        p = f"model.layers.{i}"
        out += [(f"{p}.input_layernorm.weight", (E,)), (f"{p}.self_attn.W_pack.weight", (3 * E, E)),
                (f"{p}.self_attn.o_proj.weight", (E, E)), (f"{p}.post_attention_layernorm.weight", (E,)),
                (f"{p}.mlp.gate_proj.weight", (FF, E)), (f"{p}.mlp.up_proj.weight", (FF, E)),
                (f"{p}.mlp.down_proj.weight", (E, FF))]
    return out + [("model.norm.weight", (E,)), ("lm_head.weight", (VOCAB, E))]


def build(folder: Path) -> None:
    """Write the checkpoint tensor by tensor (random F16 from a reused 64 MB random block)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from tiny_checkpoint import train_tokenizer

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["BaichuanForCausalLM"], "hidden_size": E, "intermediate_size": FF,
        "num_attention_heads": HEADS, "num_hidden_layers": LAYERS, "vocab_size": VOCAB,
        "rms_norm_eps": 1e-6, "model_max_length": 4096, "model_type": "baichuan"}))
    train_tokenizer(folder)
    header, offset = {}, 0
    for name, shape in tensors():
        n = int(np.prod(shape)) * 2
        header[name] = {"dtype": "F16", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    block = (np.random.default_rng(0).standard_normal(32 * 1024 * 1024) * 0.02).astype(np.float16)
    with (folder / "model.safetensors").open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        for name, shape in tensors():
            left = int(np.prod(shape))
            while left:
                take = min(left, block.size)
                (block[:take] + np.float16(1.0) if len(shape) == 1 else block[:take]).tofile(fh)
                left -= take


def stage(code: str) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code + "\nfrom opening.models.memory_fit import peak_rss; print(peak_rss())"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(proc.stderr)
    return {"seconds": time.perf_counter() - t0, "peak": int(proc.stdout.strip().splitlines()[-1])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True, help="a folder with ~35 GB free")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the checkpoint and the quantized files")
    parser.add_argument("--types", default="Q4_K_M", help="comma-separated quantizations to make (e.g. Q4_K_M,Q4_0)")
    args = parser.parse_args()
    work = Path(args.work)
    ck, f16 = work / "baichuan-7b-random", work / "baichuan-7b-random.F16.gguf"
    t0 = time.perf_counter()
    if not (ck / "model.safetensors").is_file():
        build(ck)
    size = (ck / "model.safetensors").stat().st_size
    print(f"checkpoint {size / 1e9:.2f} GB (built in {time.perf_counter() - t0:.0f} s)", flush=True)
    common = "from pathlib import Path\nfrom opening_convert.job import convert\n"
    a = stage(common + f"convert(Path({str(ck)!r}), Path({str(f16)!r}), 'F16', force=True)")
    print(f"checkpoint → F16 GGUF: {a['seconds']:.0f} s, peak RSS {a['peak'] / 1e9:.2f} GB"
          f" ({a['peak'] / size:.3f}× the checkpoint)", flush=True)
    for qtype in args.types.split(","):
        q4 = work / f"baichuan-7b-random.{qtype}.gguf"
        b = stage("from pathlib import Path\nfrom opening_convert.quantize import quantize\n"
                  f"quantize(Path({str(f16)!r}), Path({str(q4)!r}), {qtype!r}, {args.threads})")
        print(f"F16 → {qtype} (llama.cpp's quantizer): {b['seconds']:.0f} s, peak RSS {b['peak'] / 1e9:.2f} GB;"
              f" {qtype} {q4.stat().st_size / 1e9:.2f} GB = {q4.stat().st_size / f16.stat().st_size:.3f}× F16", flush=True)
    f16.unlink()
    if not args.keep:
        for qtype in args.types.split(","):
            (work / f"baichuan-7b-random.{qtype}.gguf").unlink()
        for p in ck.iterdir():
            p.unlink()
        ck.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
