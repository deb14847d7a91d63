"""``opening-train data [--sni DIR] [--dolly FILE] [--firefly FILE] --out FILE [--total N] [--seed N]
[--mix sni=W,dolly=W,firefly=W] [--tokenizer GGUF]``: the reversed training set as JSONL (``prompt``,
``target``, ``template``, ``lang``, ``source``, ``category``, ``where``) and its report beside it
(``FILE.stats.json``), both written whole or not at all."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from opening.base.atomic import atomic_write_bytes
from opening.base.errors import BadInput, describe_os_error
from opening.base.logs import configure_logging
from opening.base.settings import Settings
from opening.cli.command import ArgumentParser, check_argv, run_command, write_stdout
from opening.models.resolve import resolve_model
from opening_train.mix import DEFAULT_TOTAL, build_mix, parse_mix
from opening_train.sources import SourcePair, read_dolly, read_firefly, read_sni
from opening_train.stats import build_report

PROG = "opening-train"


def _parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=PROG, description="Make the OpenING generator: step one of the original.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("data", help="build the reversed training set from local copies of the sources")
    d.add_argument("--sni", metavar="DIR", help="Super-NaturalInstructions tasks folder (task*.json)")
    d.add_argument("--dolly", metavar="FILE", help="databricks-dolly-15k.jsonl")
    d.add_argument("--firefly", metavar="FILE", help="Firefly train JSONL (kind, input, target)")
    d.add_argument("--out", required=True, metavar="FILE.jsonl", help="the training set to write")
    d.add_argument("--total", type=int, default=DEFAULT_TOTAL, help=f"pairs in the mix (default {DEFAULT_TOTAL})")
    d.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    d.add_argument("--mix", default=None, metavar="SRC=W,…", help="source weights (default: equal)")
    d.add_argument("--tokenizer", metavar="GGUF", help="model whose tokens the report counts (default: the CLI's model)")
    for parser in (p, d):
        parser.add_argument("-v", "--verbose", action="count", default=0)
    return p


def data(args: argparse.Namespace) -> int:
    if not 1 <= args.total <= 10_000_000:
        raise BadInput("train.bad_total", got=args.total)
    sources: dict[str, Iterable[SourcePair]] = {}
    if args.sni:
        sources["sni"] = read_sni(Path(args.sni).expanduser())
    if args.dolly:
        sources["dolly"] = read_dolly(Path(args.dolly).expanduser())
    if args.firefly:
        sources["firefly"] = read_firefly(Path(args.firefly).expanduser())
    if not sources:
        raise BadInput("train.no_sources")
    weights = parse_mix(args.mix) if args.mix else None
    out = Path(args.out).expanduser()
    tokenizer = resolve_model(args.tokenizer, Settings.load()).path
    examples, mix = build_mix(sources, total=args.total, weights=weights, seed=args.seed)
    from opening.llama.model import LlamaModel

    with LlamaModel(tokenizer, use_mmap=True, repack=False) as model:
        count = lambda text: len(model.tokenize(text, add_special=False, parse_special=False))  # noqa: E731
        report = build_report(examples, mix, count, total=args.total, seed=args.seed, tokenizer=tokenizer.name)
    stats = out.with_name(out.stem + ".stats.json")
    body = "".join(json.dumps(e.record(), ensure_ascii=False) + "\n" for e in examples)
    try:
        atomic_write_bytes(out, body.encode("utf-8"))
        atomic_write_bytes(stats, json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8"))
    except OSError as exc:
        raise BadInput("path.cannot_write", path=out, reason=describe_os_error(exc)) from None
    kept = ", ".join(f"{k} {v}" for k, v in sorted(report["by_source"].items()))
    print(
        f"{PROG}: {len(examples)} reversed pairs ({kept}; {mix.exact_duplicates} exact and {mix.near_duplicates} near"
        f" duplicates dropped; {report['over_max_length']['examples']} over 512 tokens) written to {out}; report: {stats}",
        file=sys.stderr,
    )
    write_stdout(f"{out}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)

    def run() -> int:
        check_argv(argv)
        args = _parser().parse_args(argv)
        configure_logging(args.verbose, PROG)
        return data(args)

    return run_command(PROG, run)
