"""``opening-convert CHECKPOINT_DIR --out FILE.gguf [--type …]``: checkpoint → GGUF (→ quantized GGUF).

The command around :func:`opening_convert.job.convert`: arguments, progress on the terminal, the summary line."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from opening.base.errors import BadInput
from opening.base.limits import MAX_THREADS_SETTING
from opening.base.logs import configure_logging
from opening.cli.command import ArgumentParser, check_argv, run_command, write_stdout
from opening.cli.progress import TerminalProgress
from opening.llama.backend import clamp_threads, default_threads
from opening.models.gguf_file import inspect_gguf

from .job import convert
from .types import ALL_TYPES, DEFAULT_TYPE

log = logging.getLogger("opening_convert")
PROG = "opening-convert"


def _parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=PROG, description="Convert a Baichuan-7B, Llama or Qwen2 checkpoint to GGUF.")
    p.add_argument("checkpoint", help="Hugging Face checkpoint folder (config.json, tokenizer.model or tokenizer.json, weights)")
    p.add_argument("--out", required=True, help="the GGUF file to write")
    p.add_argument("--type", choices=ALL_TYPES, default=DEFAULT_TYPE, help=f"tensor type (default {DEFAULT_TYPE})")
    p.add_argument("--name", help="model name stored in the file (default: the folder's name)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("--keep-f16", action="store_true", help="keep the intermediate F16 GGUF of a quantized run")
    p.add_argument("--threads", type=int, default=default_threads(), help="threads for quantizing")
    p.add_argument("-v", "--verbose", action="count", default=0)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()

    def run() -> int:
        check_argv(argv)
        args = _parser().parse_args(argv)
        configure_logging(args.verbose, PROG)
        if not 1 <= args.threads <= MAX_THREADS_SETTING:
            raise BadInput("cli.threads", high=MAX_THREADS_SETTING, got=args.threads)
        if not args.checkpoint or not args.out:
            raise BadInput("convert.need_paths")
        checkpoint, out = Path(args.checkpoint).expanduser(), Path(args.out).expanduser()
        bar = TerminalProgress(every=30.0)
        try:
            convert(
                checkpoint,
                out,
                args.type,
                name=args.name,
                force=args.force,
                keep_f16=args.keep_f16,
                threads=clamp_threads(args.threads),
                progress=lambda stage, f: bar.update(round(100 * f), 100, stage),
            )
        finally:
            bar.close()
        info = inspect_gguf(out)
        print(
            f"{PROG}: wrote {info.architecture} {info.quantization}, {info.n_params / 1e6:.0f}M parameters,"
            f" {info.file_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        write_stdout(f"{out}\n")
        return 0

    return run_command(PROG, run)


if __name__ == "__main__":
    sys.exit(main())
