"""``opening generate``: one text in, candidate instructions and the chosen pair out.

Order matters: everything that needs no model (the text, the parameters, the save target, the model
file's header) is checked before the model loads; the pair is saved before anything is printed, so a
closed or full stdout never loses it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opening.base.choice import (
    DEFAULT_HELPS_BELOW,
    DEFAULT_POLICY,
    DEFAULT_SCORE_MAX_TOKENS,
    NO_HELPFUL,
    POLICIES,
    RIFD_POLICIES,
    Choice,
)
from opening.base.errors import BadInput
from opening.base.limits import MAX_THREADS_SETTING
from opening.base.messages import Message
from opening.base.sampling import SamplingParams
from opening.base.settings import Settings
from opening.cli.command import write_stdout
from opening.cli.progress import TerminalProgress
from opening.data.dataset_file import DatasetFile
from opening.data.records import FORMATS, fold_input
from opening.llama.backend import default_threads
from opening.llama.engine import Engine, EngineSettings
from opening.models.gguf_file import GGUFInfo, inspect_gguf
from opening.models.resolve import resolve_model, resolve_scorer
from opening.pipeline.report import caption
from opening.pipeline.request import Request, check_text, read_text_file
from opening.pipeline.run import Outcome, check_fit, engine_settings, open_engine_and_scorer, run_request
from opening.pipeline.templates import FAMILIES, model_family

PROG = "opening"


def add_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    gen = sub.add_parser("generate", help="sample candidate instructions for a text")
    gen.add_argument("text", nargs="?", help="the text (the output of the pair); or use --file")
    gen.add_argument("--file", metavar="PATH", help="read the text from a UTF-8 file ('-' for standard input)")
    add_generation_options(gen)
    add_choice_options(gen)
    gen.add_argument("--format", choices=("text", "json"), default="text")
    gen.add_argument(
        "--token-scores",
        action="store_true",
        help="with --format json: the text's tokens and, per candidate, how much the instruction helped each one",
    )
    gen.add_argument("--save", metavar="PATH", help="append the chosen pair to a dataset file (.json or .jsonl)")
    gen.add_argument(
        "--save-format",
        choices=FORMATS,
        default=None,
        help="dataset format (default: jsonl for .jsonl, else the file's own format, else demo)",
    )


def add_generation_options(parser: argparse.ArgumentParser) -> None:
    """The model and sampling options every generating command shares."""
    d = SamplingParams()
    parser.add_argument("--model", metavar="PATH", help="GGUF model file (default: OPENING_MODEL, settings, demo)")
    parser.add_argument(
        "--scorer",
        metavar="PATH",
        help="score the candidates with this smaller GGUF model while --model samples them (default: the settings'"
        " scorer_model, else the model itself; docs/choice.md)",
    )
    parser.add_argument("--template", choices=FAMILIES, default="auto", help="reverse template family")
    parser.add_argument("--temperature", type=float, default=d.temperature, metavar="F")
    parser.add_argument("--top-p", type=float, default=d.top_p, metavar="F")
    parser.add_argument("--top-k", type=int, default=d.top_k, metavar="N")
    parser.add_argument("-n", type=int, default=d.n, metavar="N", help="number of candidates (1-10)")
    parser.add_argument("--max-tokens", type=int, default=d.max_tokens, metavar="N")
    parser.add_argument("--seed", type=int, default=None, metavar="N", help="same seed + same parameters = same output")
    parser.add_argument("--threads", type=int, default=None, metavar="N", help=f"CPU threads (default {default_threads()})")
    parser.add_argument("--gpu-layers", type=int, default=None, metavar="N", help="layers on the GPU (0 CPU, -1 all)")
    parser.add_argument(
        "--no-early-stop",
        dest="early_stop",
        action="store_false",
        help="generate every candidate to its end even when its fate is already sealed",
    )


def add_choice_options(parser: argparse.ArgumentParser) -> None:
    """How the chosen candidate is picked, and what happens when none helps."""
    parser.add_argument(
        "--choose",
        choices=POLICIES,
        default=DEFAULT_POLICY,
        help=f"what 'best' means: lowest NLL, IFD, r-IFD, or IFD x r-IFD (default {DEFAULT_POLICY}; docs/choice.md)",
    )
    parser.add_argument(
        "--ifd-threshold",
        type=float,
        default=DEFAULT_HELPS_BELOW,
        metavar="F",
        help=f"an instruction helps when its IFD is below F (default {DEFAULT_HELPS_BELOW:g})",
    )
    parser.add_argument("--save-anyway", action="store_true", help="keep the best candidate even when none helps")
    parser.add_argument("--judge", action="store_true", help="also ask the model to rate each pair 1-5 (slower)")
    parser.add_argument(
        "--score-max-tokens",
        type=int,
        default=DEFAULT_SCORE_MAX_TOKENS,
        metavar="N",
        help=f"score at most the first N tokens of the text (default {DEFAULT_SCORE_MAX_TOKENS}; 0: all)",
    )


@dataclass(frozen=True)
class ModelPick:
    """The model a command will run, checked before anything is loaded."""

    path: Path
    info: GGUFInfo
    family: str
    """The template family, ``auto`` resolved."""
    settings: EngineSettings
    source: str = "argument"
    """Where the choice came from (``opening.models.resolve.ResolvedModel.source``; ``embedded``: the demo)."""
    scorer: Path | None = None
    """The model that scores the candidates (``--scorer``, else the settings' ``scorer_model``); None: the model."""


def pick_model(args: argparse.Namespace, settings: Settings) -> ModelPick:
    """Resolve ``--model``, read and check its header (before any estimate), resolve ``--template``."""
    resolved = resolve_model(args.model, settings)
    info = inspect_gguf(resolved.path)
    family = model_family(args.template, info)
    chosen = engine_settings(settings, threads=args.threads, gpu_layers=args.gpu_layers)
    scorer = resolve_scorer(getattr(args, "scorer", None), settings)
    return ModelPick(resolved.path, info, family, chosen, resolved.source, scorer)


def load_model(pick: ModelPick, params: SamplingParams, text: str = "", *, rifd: bool = False) -> Engine:
    """Warn when the run may not fit in memory, then load (the GPU-to-CPU fallback said on stderr)."""
    warning = check_fit(pick.info, params, pick.settings, text, rifd=rifd).warning()
    if warning:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    engine, note = open_engine_and_scorer(pick.path, pick.settings, pick.scorer)
    if note:
        print(f"{PROG}: warning: {note}", file=sys.stderr)
    return engine


def sampling_from_args(args: argparse.Namespace) -> SamplingParams:
    params = SamplingParams(
        temperature=args.temperature, top_p=args.top_p, top_k=args.top_k, n=args.n, max_tokens=args.max_tokens, seed=args.seed
    )
    params.validate()
    if args.threads is not None and not 1 <= args.threads <= MAX_THREADS_SETTING:
        raise BadInput("cli.threads", high=MAX_THREADS_SETTING, got=args.threads)
    if args.model == "":
        raise BadInput("cli.model_empty")
    if getattr(args, "scorer", None) == "":
        raise BadInput("cli.scorer_empty")
    return params


def choice_from_args(args: argparse.Namespace) -> Choice:
    choice = Choice(args.choose, args.ifd_threshold, args.save_anyway, args.judge, args.score_max_tokens)
    choice.validate()
    return choice


def _text(args: argparse.Namespace) -> str:
    if args.text is not None and args.file is not None:
        raise BadInput("cli.text_twice")
    if args.file is not None:
        return read_text_file(args.file)
    if args.text is not None:
        return args.text
    raise BadInput("cli.no_text")


def run(args: argparse.Namespace) -> int:
    text = check_text(_text(args))
    params = sampling_from_args(args)
    choice = choice_from_args(args)
    if args.save == "":
        raise BadInput("cli.save_empty")
    dataset = DatasetFile.open(args.save, args.save_format) if args.save is not None else None
    picked = pick_model(args, Settings.load())
    engine = load_model(picked, params, text, rifd=choice.policy in RIFD_POLICIES)
    progress = TerminalProgress()
    pieces = 0

    def on_piece(_index: int, _text: str) -> None:
        nonlocal pieces
        pieces += 1
        if pieces % 8 == 0:
            progress.update(pieces, None, "generating")

    def on_stage(stage: str, fraction: float) -> None:
        if stage in ("scoring", "judging", "hashing"):
            progress.update(round(100 * fraction), 100, stage)

    try:
        with engine:
            outcome = run_request(
                engine,
                Request(text, params, args.template, choice, early_stop=args.early_stop),
                source=args.file or "argument",
                on_piece=on_piece,
                on_stage=on_stage,
            )
    finally:
        progress.close()  # a failed run leaves no half-drawn bar above its error line
    record = outcome.chosen_record
    if record is not None and dataset is not None:
        dataset.append(record)  # saved before anything is printed
        print(f"{PROG}: saved the pair to {dataset.path} ({dataset.fmt} format)", file=sys.stderr)
    write_stdout(format_report(outcome.report, args.format, token_scores=args.token_scores))
    if record is None:
        print(f"{PROG}: {nothing_chosen(outcome)}", file=sys.stderr)
    if picked.source == "embedded":  # the last line of a demo run: what it is, and the way to real instructions
        print(f"{PROG}: {Message('cli.demo_model_note')}", file=sys.stderr)
    return 3 if record is None else 0


def nothing_chosen(outcome: Outcome) -> str:
    """Why a finished run chose nothing, in one line, with what to try next."""
    ranking = outcome.ranking
    assert ranking is not None
    if ranking.status == NO_HELPFUL and ranking.best is not None:
        best = ranking.candidates[ranking.best]
        return (
            f"no instruction helps: the best candidate has IFD {best.ifd:.2f} (an instruction helps below"
            f" {ranking.choice.helps_below:g}: it must make the text more predictable); nothing saved. Try another"
            " seed or a larger model, or keep it with --save-anyway."
        )
    return (
        f"no usable instruction: all {len(outcome.candidates)} candidates were rejected"
        f" ({ranking.rejection_summary()}); nothing saved. Try another seed, a higher temperature or a larger model."
    )


def format_report(report: dict[str, Any], fmt: str, *, token_scores: bool = False) -> str:
    if fmt == "json":
        shown = report if token_scores else {k: v for k, v in report.items() if k != "token_scores"}
        return json.dumps(shown, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    lines = []
    for i in report["rank_order"]:
        cand = report["candidates"][i]
        head = caption(cand, i, report["chosen"], report["choice"]["helps_below"])
        lines.append(f"{head}:\n{fold_input(cand['instruction'], cand['input'], sep=chr(10))}\n")
    lines.append("Paired instruction and output in json format")
    lines.append(json.dumps([report["pair"]] if report["pair"] else [], ensure_ascii=False))
    return "\n".join(lines) + "\n"
