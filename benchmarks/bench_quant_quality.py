"""The quality cost of a quantization, as far as it can be measured here: how much worse the quantized
model predicts the gold pairs of tests/data/dev_pairs.jsonl than the unquantized one.

    python benchmarks/bench_quant_quality.py [--model smollm2] [--types Q4_0,Q4_K_M,Q8_0] [--threads 2]

The reference is the model de-quantized to F32 with llama.cpp's quantizer (for SmolLM2 from PyPI that
is its Q4_1 file, so the figures are the *extra* loss of quantizing once more; the random 7B-shaped
model of bench_convert_7b.py has no meaningful NLL). Each type is made from the F32 file; for each, the
mean NLL per token of every gold output given its gold instruction (Alpaca prompt, the scoring prompt of
the ranking) is compared with F32's: the mean difference in nats and how often the ranking's choice
between two candidates would flip (pairs of dev texts whose NLL order differs from F32's).
Not part of the test run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from pathlib import Path

import llama_cpp.llama_cpp as L
from bench_models import model_path

from opening.llama.engine import Engine, EngineSettings
from opening.llama.model import LlamaModel
from opening.llama.scoring import make_row, mean_nll
from opening.pipeline.ranking import scoring_prompt

DEV = Path(__file__).resolve().parents[1] / "tests" / "data" / "dev_pairs.jsonl"
FTYPES = {"F32": 0, "Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q4_K_M": 15, "Q5_K_M": 17, "Q6_K": 18}


def quantize(src: Path, dst: Path, ftype: int) -> None:
    params = L.llama_model_quantize_default_params()
    params.ftype = ftype
    params.allow_requantize = True
    if L.llama_model_quantize(str(src).encode(), str(dst).encode(), params) != 0:
        sys.exit(f"llama.cpp could not quantize to {dst.name}")


def nlls(path: Path, pairs: list[dict], threads: int) -> list[float]:
    with Engine(path, EngineSettings(threads=threads)) as engine:
        out = []
        for pair in pairs:
            row = make_row(engine, scoring_prompt(engine, "opening", pair["instruction"], ""), pair["output"])
            out.extend(mean_nll(engine, [row]))
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--types", default="Q4_0,Q4_K_M,Q8_0")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    pairs = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    src = Path(model_path(args.model))
    LlamaModel(src).close()  # initialises the backend
    with tempfile.TemporaryDirectory() as tmp:
        f32 = Path(tmp) / "f32.gguf"
        quantize(src, f32, FTYPES["F32"])
        ref = nlls(f32, pairs, args.threads)
        print(f"{src.name} → F32 reference: mean NLL {sum(ref) / len(ref):.4f} over {len(pairs)} gold pairs")
        order = list(itertools.combinations(range(len(ref)), 2))
        for qtype in args.types.split(","):
            out = Path(tmp) / f"{qtype}.gguf"
            quantize(f32, out, FTYPES[qtype])
            got = nlls(out, pairs, args.threads)
            diff = [g - r for g, r in zip(got, ref, strict=True)]
            flips = sum((got[i] < got[j]) != (ref[i] < ref[j]) for i, j in order)
            print(f"{qtype}: {out.stat().st_size / f32.stat().st_size:.3f}× F32 in size; mean NLL {sum(diff) / len(diff):+.4f}"
                  f" nats (max {max(diff):+.4f}); NLL order of text pairs flipped: {flips} of {len(order)}"
                  f" ({flips / len(order):.1%})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
