"""``opening-convert CHECKPOINT_DIR --out FILE.gguf [--type …]``: checkpoint → GGUF (→ quantized GGUF)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from opening.errors import BadInput, exit_code_for
from opening.gguf_file import inspect_gguf
from opening.llama_model import default_threads

from .checkpoint import Weights, read_config
from .errors import ConvertError
from .gguf_export import FLOAT_TYPES, disk_reason, remove_quietly, write_gguf
from .quantize import QUANT_TYPES, quantize
from .sentencepiece_model import read_model

log = logging.getLogger("opening_convert")
PROG = "opening-convert"
TYPES = (*FLOAT_TYPES, *QUANT_TYPES)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Convert a Baichuan-7B or Llama checkpoint to GGUF.")
    p.add_argument("checkpoint", help="Hugging Face checkpoint folder (config.json, tokenizer.model, weights)")
    p.add_argument("--out", required=True, help="the GGUF file to write")
    p.add_argument("--type", choices=TYPES, default="Q4_K_M", help="tensor type (default Q4_K_M)")
    p.add_argument("--name", help="model name stored in the file (default: the folder's name)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("--keep-f16", action="store_true", help="keep the intermediate F16 GGUF of a quantized run")
    p.add_argument("--threads", type=int, default=default_threads(), help="threads for quantizing")
    p.add_argument("-v", "--verbose", action="count", default=0)
    return p


class _Progress:
    def __init__(self) -> None:
        self.live = sys.stderr.isatty()
        self.last = (None, -1)

    def __call__(self, stage: str, fraction: float) -> None:
        step = int(fraction * 100)
        if (stage, step) == self.last or (not self.live and step % 10 and fraction < 1):
            return
        self.last = (stage, step)
        start = "\r" if self.live else ""
        end = "\n" if fraction >= 1 or not self.live else ""
        sys.stderr.write(f"{start}{PROG}: {stage} {step:3d}%{end}")
        sys.stderr.flush()


def convert(checkpoint: Path, out: Path, out_type: str, *, name: str | None = None, force: bool = False,
            keep_f16: bool = False, threads: int = 2, progress=None) -> Path:
    """The whole job; raises ConvertError (BadInput for an existing output without ``force``)."""
    if out.exists() and not force:
        raise BadInput(f"{out} exists; pass --force to overwrite it")
    if not out.parent.is_dir():
        raise ConvertError(f"the output folder {out.parent} does not exist")
    probe = out.with_name(f".{out.name}.probe")
    try:  # a read-only or forbidden folder is reported before minutes of work
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ConvertError(f"cannot write in {out.parent}: {disk_reason(exc)}") from None
    cfg = read_config(checkpoint)
    tokenizer = checkpoint / "tokenizer.model"
    if not tokenizer.is_file():
        raise ConvertError(f"{checkpoint} has no tokenizer.model (the SentencePiece model)")
    sp = read_model(tokenizer)
    if sp.normalizer != "identity":
        log.warning(
            "tokenizer.model uses the %r normaliser; llama.cpp does not apply it, so some text (full-width"
            " punctuation such as '，') may tokenize differently than in transformers", sp.normalizer)
    weights = Weights(checkpoint)
    try:
        label = name or cfg.name
        if out_type in FLOAT_TYPES:
            write_gguf(cfg, weights, sp, checkpoint, out, out_type, label, progress)
        else:
            f16 = out.with_name(f"{out.stem}.F16.gguf") if keep_f16 else out.with_name(f".{out.name}.f16.gguf")
            try:
                write_gguf(cfg, weights, sp, checkpoint, f16, "F16", label, progress)
                quantize(f16, out, out_type, threads, progress)
            finally:
                if not keep_f16:
                    remove_quietly(f16)
    finally:
        weights.close()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2), format=f"{PROG}: %(message)s")
    checkpoint, out = Path(args.checkpoint).expanduser(), Path(args.out).expanduser()
    started = time.perf_counter()

    def run() -> int:
        convert(checkpoint, out, args.type, name=args.name, force=args.force, keep_f16=args.keep_f16,
                threads=args.threads, progress=_Progress())
        info = inspect_gguf(out)
        print(f"{PROG}: wrote {info.architecture} {info.quantization}, {info.n_params / 1e6:.0f}M parameters,"
              f" {info.file_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        print(out)
        return 0

    return exit_code_for(PROG, run)


if __name__ == "__main__":
    sys.exit(main())
