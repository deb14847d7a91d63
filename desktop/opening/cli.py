"""``opening`` command line. Results go to stdout; logs, progress and errors to stderr.

Exit codes: 0 success, 1 a model, runtime or save failure, 2 bad input or parameters, 3 every candidate
was rejected (nothing saved), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__, cli_models
from .engine import EngineSettings, SamplingParams
from .errors import BadInput, exit_code_for
from .gguf_file import inspect_gguf
from .llama_model import default_threads, default_use_mmap
from .memory_fit import estimate
from .model_resolve import resolve_model
from .dataset_file import DatasetFile
from .records import FORMATS
from .pipeline import engine_settings, open_engine, run_request
from .request import Request, read_text_file
from .settings import Settings
from .templates import FAMILIES

log = logging.getLogger("opening")
PROG = "opening"


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other bad input
        self.exit(2, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(prog=PROG, description="Generate instruction-tuning pairs from real text, locally.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more to stderr (-vv: llama.cpp too)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_ArgumentParser)
    sub.required = True

    d = SamplingParams()
    gen = sub.add_parser("generate", help="sample candidate instructions for a text")
    gen.add_argument("text", nargs="?", help="the text (the output of the pair); or use --file")
    gen.add_argument("--file", metavar="PATH", help="read the text from a UTF-8 file ('-' for standard input)")
    gen.add_argument("--model", metavar="PATH", help="GGUF model file (default: OPENING_MODEL, settings, demo)")
    gen.add_argument("--template", choices=FAMILIES, default="auto", help="reverse template family")
    gen.add_argument("--temperature", type=float, default=d.temperature, metavar="F")
    gen.add_argument("--top-p", type=float, default=d.top_p, metavar="F")
    gen.add_argument("--top-k", type=int, default=d.top_k, metavar="N")
    gen.add_argument("-n", type=int, default=d.n, metavar="N", help="number of candidates (1-10)")
    gen.add_argument("--max-tokens", type=int, default=d.max_tokens, metavar="N")
    gen.add_argument("--seed", type=int, default=None, metavar="N", help="same seed + same parameters = same output")
    gen.add_argument("--threads", type=int, default=None, metavar="N", help=f"CPU threads (default {default_threads()})")
    gen.add_argument("--gpu-layers", type=int, default=None, metavar="N", help="layers on the GPU (0 CPU, -1 all)")
    gen.add_argument("--format", choices=("text", "json"), default="text")
    gen.add_argument("--save", metavar="PATH", help="append the chosen pair to a dataset file (.json or .jsonl)")
    gen.add_argument("--save-format", choices=FORMATS, default=None,
                     help="dataset format (default: jsonl for .jsonl, else the file's own format, else demo)")
    cli_models.add_parser(sub, _ArgumentParser)
    gui = sub.add_parser("gui", help="open the desktop window (same as opening-desktop)")
    gui.add_argument("--language", choices=("en", "zh"), help="interface language (default: the system's)")
    gui.add_argument("--model", metavar="PATH", help="open this GGUF instead of the usual one")
    return parser


def _cmd_gui(args: argparse.Namespace) -> int:
    from .gui.app import main as gui_main  # Qt is imported only here

    argv = ["-v"] * args.verbose
    if args.language:
        argv += ["--language", args.language]
    if args.model:
        argv += ["--model", args.model]
    return gui_main(argv)


def _configure_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(name)s: %(message)s", stream=sys.stderr)
    if verbose < 2:
        logging.getLogger("opening.llama").setLevel(logging.WARNING)


class _Progress:
    """A one-line progress line on stderr (only when stderr is a terminal): pieces generated, then
    how much of the scoring pass is done."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.pieces = 0
        self._shown = False
        self._lock = threading.Lock()

    def _show(self, line: str) -> None:
        self.stream.write(f"\r\033[K{line}")
        self.stream.flush()
        self._shown = True

    def piece(self, _index: int, _text: str) -> None:
        if self.enabled:
            with self._lock:
                self.pieces += 1
                if self.pieces % 8 == 0:
                    self._show(f"generating… {self.pieces} pieces")

    def stage(self, stage: str, fraction: float) -> None:
        if self.enabled and stage == "ranking":
            with self._lock:
                self._show(f"scoring… {100 * fraction:.0f}%")

    def done(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _cmd_generate(args: argparse.Namespace) -> int:
    if args.text is not None and args.file is not None:
        raise BadInput("give the text either as an argument or with --file, not both")
    if args.file is not None:
        text = read_text_file(args.file)
    elif args.text is not None:
        text = args.text
    else:
        raise BadInput("no text: give it as an argument, or with --file PATH (--file - reads standard input)")
    params = SamplingParams(
        temperature=args.temperature, top_p=args.top_p, top_k=args.top_k, n=args.n,
        max_tokens=args.max_tokens, seed=args.seed,
    )
    params.validate()
    if args.threads is not None and args.threads < 1:
        raise BadInput(f"--threads must be at least 1 (got {args.threads})")
    dataset = DatasetFile.open(args.save, args.save_format) if args.save else None  # check before the work
    settings = Settings.load()
    resolved = resolve_model(args.model, settings)
    log.info("model %s (from %s)", resolved.path, resolved.source)
    chosen_settings = engine_settings(settings, threads=args.threads, gpu_layers=args.gpu_layers)
    request = Request(text=text, params=params, family=args.template)
    progress = _Progress(sys.stderr)
    _warn_if_too_big(resolved.path, params, text, chosen_settings)
    engine, note = open_engine(resolved.path, chosen_settings)
    if note:
        print(f"{PROG}: warning: {note}", file=sys.stderr)
    with engine:
        outcome = run_request(
            engine, request, source=args.file or "argument", on_piece=progress.piece, on_stage=progress.stage
        )
        progress.done()
    assert outcome.ranking is not None  # the CLI never cancels; Ctrl-C raises KeyboardInterrupt
    ranking, report, record = outcome.ranking, outcome.report, outcome.chosen_record
    _print_report(report, args.format, sys.stdout)
    if record is None:
        print(
            f"{PROG}: no usable instruction: all {len(ranking.candidates)} candidates were rejected"
            f" ({ranking.rejection_summary()}); nothing saved. Try another seed, a higher temperature or a"
            " larger model.",
            file=sys.stderr,
        )
        return 3
    if dataset is not None:
        position = dataset.append(record)
        print(f"{PROG}: saved pair {position + 1} to {dataset.path} ({dataset.fmt} format)", file=sys.stderr)
    return 0


def _warn_if_too_big(path: Path, params: SamplingParams, text: str, settings: EngineSettings) -> None:
    """LM Studio's guardrail: say so before loading a model that will not fit in free memory."""
    info = inspect_gguf(path)
    use_mmap = settings.use_mmap if settings.use_mmap is not None else default_use_mmap(settings.gpu_layers)
    fit = estimate(info, params, text_tokens=len(text.encode("utf-8")) // 3 + 1, use_mmap=use_mmap,
                   repack=settings.repack)
    log.info("memory: %s", fit.summary())
    if fit.warning():
        print(f"{PROG}: warning: {fit.warning()}", file=sys.stderr)


def _print_report(report: dict[str, Any], fmt: str, out: TextIO) -> None:
    if fmt == "json":
        json.dump(report, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    for i in report["rank_order"]:
        cand = report["candidates"][i]
        mark = "  <- chosen" if i == report["chosen"] else ""
        if cand["rejected"]:
            score = f"rejected: {cand['rejected']}"
        elif cand["duplicate_of"] is not None:
            score = f"duplicate of {cand['duplicate_of'] + 1}"
        else:
            helps = "" if cand["helps"] else ", does not help (IFD >= 1)"
            score = f"nll {cand['nll']:.3f}, ifd {cand['ifd']:.3f}{helps}"
        out.write(f"Candidate Instruction {i + 1} [{cand['template']}; {score}]{mark}:\n{cand['instruction']}\n")
        if cand["input"]:
            out.write(f"### Input: {cand['input']}\n")
        out.write("\n")
    out.write("Paired instruction and output in json format\n")
    pair = [report["pair"]] if report["pair"] else []
    out.write(json.dumps(pair, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    commands = {"generate": _cmd_generate, "gui": _cmd_gui, "models": cli_models.run}
    return exit_code_for(PROG, lambda: commands[args.command](args))


if __name__ == "__main__":
    sys.exit(main())
