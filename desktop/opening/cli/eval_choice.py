"""``opening eval-choice DEV.jsonl``: measure how the ways of choosing a candidate compare on gold pairs
(``opening.pipeline.choice_eval``); prints a table (or JSON) on stdout, progress on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from opening.base.choice import DEFAULT_HELPS_BELOW
from opening.base.errors import BadInput
from opening.base.settings import Settings
from opening.cli.command import write_stdout
from opening.cli.generate import add_generation_options, load_model, pick_model, sampling_from_args
from opening.cli.progress import TerminalProgress
from opening.models.trained import RUN_FILE, record_evaluation
from opening.pipeline.choice_eval import (
    DevPair,
    EvalSummary,
    QualitySummary,
    evaluate,
    format_table,
    load_dev_pairs,
    quality,
    quality_line,
    scorer_agreement,
    scorer_line,
)

PROG = "opening"


def add_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    ev = sub.add_parser("eval-choice", help="measure the choice of candidates against gold instructions")
    ev.add_argument("dev", metavar="DEV.jsonl", help='gold pairs: one {"instruction", "output"} object per line')
    add_eval_options(ev)


def add_eval_options(ev: argparse.ArgumentParser) -> None:
    """The model, sampling and report options of an evaluation (here and in ``opening-train eval``)."""
    add_generation_options(ev)
    ev.add_argument(
        "--ifd-threshold", type=float, default=DEFAULT_HELPS_BELOW, metavar="F", help="IFD below which an instruction helps"
    )
    ev.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N pairs")
    ev.add_argument("--format", choices=("text", "json"), default="text")
    ev.set_defaults(seed=1)  # the same candidates on every run unless asked otherwise


def run(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise BadInput("cli.limit", got=args.limit)
    return run_pairs(args, load_dev_pairs(Path(args.dev))[: args.limit], Path(args.dev))


def _record_if_trained(model: Path, seen: QualitySummary, summary: EvalSummary, data: Path) -> None:
    """A generator ``opening-train`` wrote keeps its evaluations in its run record (the window lists them)."""
    line = (
        f"ROUGE-L {seen.rouge_chosen:.3f} vs gold, {seen.language_match:.0%} in the text's language,"
        f" {seen.junk_chosen:.0%} refusals chosen, nothing chosen {seen.nothing_chosen:.0%}"
        f" ({data.name}, {summary.texts} texts, {summary.seconds_per_text:.1f} s per text)"
    )
    if record_evaluation(model, line, data):
        print(f"opening eval-choice: recorded in {model.parent / RUN_FILE}: {line}", file=sys.stderr)


def run_pairs(
    args: argparse.Namespace, pairs: list[DevPair], data: Path, headline: Callable[[EvalSummary], str] | None = None
) -> int:
    """Evaluate ``pairs`` with the generation options in ``args``: the table (or JSON) on stdout, the
    ``headline`` (when given) above the table."""
    params = sampling_from_args(args)
    engine = load_model(pick_model(args, Settings.load()), params, max((p.output for p in pairs), key=len), rifd=True)
    progress = TerminalProgress(unit="texts")
    scorer_name = engine.scorer.model.name if engine.scorer is not None else None
    try:
        with engine:
            summary, outcomes = evaluate(
                engine,
                pairs,
                params,
                family=args.template,
                helps_below=args.ifd_threshold,
                early_stop=args.early_stop,
                on_text=lambda done, total: progress.update(done, total, "evaluating"),
            )
    finally:
        progress.close()
    seen = quality(outcomes)
    scorer = scorer_agreement(outcomes) if scorer_name is not None else None
    _record_if_trained(Path(engine.model.path), seen, summary, data)
    if args.format == "json":
        report: dict[str, Any] = asdict(summary)
        report.update(model=engine.model.name, params=asdict(params), template=args.template, quality=asdict(seen))
        report.update(scorer=scorer_name, scorer_agreement=asdict(scorer) if scorer else None)
        write_stdout(json.dumps(report, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
    else:
        top = headline(summary) + "\n\n" if headline else ""
        table = format_table(summary) + quality_line(seen) + "\n"
        if scorer is not None:
            table += f"{scorer_name}: {scorer_line(scorer)}\n"
        write_stdout(f"{engine.model.name}, n={params.n}, seed {params.seed}\n\n" + top + table)
    return 0
