"""``opening export DATASET --to FORMAT [--status S[,S…]] --out PATH``: a dataset in the format a training
tool reads (``opening.data.export``). No model is loaded."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from opening.data.export import EXPORT_FORMATS, STATUSES, export
from opening.pipeline.templates import generator_prompt

PROG = "opening"


def add_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    ex = sub.add_parser("export", help="write a dataset as demo JSON, Alpaca, ShareGPT, JSONL, CSV, LLaMA-Factory or DPO")
    ex.add_argument("dataset", metavar="DATASET", help="a file written by `opening generate --save` or `opening batch`")
    ex.add_argument("--to", required=True, choices=EXPORT_FORMATS, help="the format")
    ex.add_argument(
        "--status",
        default=None,
        metavar="S[,S...]",
        help=f"only pairs with these statuses ({', '.join(STATUSES)}); default: every pair but those the person rejected",
    )
    ex.add_argument("--out", required=True, metavar="PATH", help="the file (a folder for llamafactory)")
    ex.add_argument("--name", default=None, help="llamafactory: the dataset's name (default: DATASET's stem)")


def run(args: argparse.Namespace) -> int:
    statuses = tuple(s.strip() for s in args.status.split(",") if s.strip()) if args.status else None
    report = export(Path(args.dataset), args.to, Path(args.out), statuses=statuses, prompt_for=generator_prompt, name=args.name)
    what = "preference pairs" if args.to == "dpo" else "pairs"
    broken = report.broken_lines
    note = f"; {len(broken)} broken lines skipped (the first: line {broken[0]})" if broken else ""
    left_out = f"{report.skipped_status} records left out by status"
    print(f"{PROG}: {report.rows} {what} written to {args.out} ({left_out}{note})", file=sys.stderr)
    return 0
