"""``opening batch INPUT... --out DATASET.jsonl``: a corpus in, one record per passage out.

Order: inputs, options and the output are checked before the model loads; the ledger is opened (and a
changed configuration refused) before any passage runs; problems with input files are reported and the
rest is processed. Ctrl-C once stops after the passages in flight (nothing lost; the same command
continues); twice abandons them too.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from opening.base.checks import may_write
from opening.base.choice import RIFD_POLICIES
from opening.base.errors import BadInput
from opening.base.progress import human_duration
from opening.base.settings import Settings
from opening.cli import cluster_batch
from opening.cli.generate import (
    add_choice_options,
    add_generation_options,
    choice_from_args,
    load_model,
    pick_model,
    sampling_from_args,
)
from opening.cli.progress import TerminalProgress
from opening.data.batch_ledger import Ledger
from opening.data.corpus import check_glob, check_inputs
from opening.models.file_hash import cached_sha256
from opening.models.model_source import ModelSource
from opening.pipeline.batch import (
    BatchPlan,
    BatchSpec,
    BatchStats,
    LengthPolicy,
    Prepared,
    open_ledger,
    plan_run,
    prepare,
    run_batch,
)
from opening.pipeline.batch_plan import MAX_PARALLEL

PROG = "opening"


def add_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    b = sub.add_parser("batch", help="run every passage of a corpus; one JSONL record per passage")
    b.add_argument("inputs", nargs="*", metavar="INPUT", help="files (.txt .md .jsonl .json .csv .tsv) or folders")
    b.add_argument("--out", metavar="DATASET.jsonl", help="the ledger: run again to continue (with --ray: a folder)")
    add_generation_options(b)
    add_choice_options(b)
    b.add_argument("--field", default="text", metavar="NAME", help="the text field of .jsonl/.json items (default text)")
    b.add_argument("--column", default="text", metavar="NAME", help="the text column of .csv/.tsv files (default text)")
    b.add_argument("--glob", default=None, metavar="PATTERN", help="files to read in folders (default: by extension)")
    b.add_argument("--min-tokens", type=int, default=LengthPolicy.min_tokens, metavar="N", help="skip shorter passages")
    b.add_argument("--max-tokens-text", type=int, default=LengthPolicy.max_tokens, metavar="N", help="longest passage")
    b.add_argument("--long", choices=("split", "skip"), default="split", help="what to do with longer passages")
    b.add_argument("--restart", action="store_true", help="move an earlier run in --out aside and start over")
    b.add_argument(
        "--parallel",
        type=int,
        default=0,
        metavar="K",
        help="passages in flight in one context (default 0: the fastest measured on this machine)",
    )
    cluster_batch.add_options(b)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _check(args: argparse.Namespace) -> LengthPolicy:
    check_inputs(args.inputs)
    check_glob(args.glob)
    if not 1 <= args.min_tokens <= 100_000:
        raise BadInput("cli.min_tokens", got=args.min_tokens)
    if not 0 <= args.parallel <= MAX_PARALLEL:
        raise BadInput("cli.parallel", high=MAX_PARALLEL, got=args.parallel)
    if not args.min_tokens <= args.max_tokens_text <= 100_000:
        raise BadInput("cli.max_tokens_text", got=args.max_tokens_text)
    return LengthPolicy(args.min_tokens, args.max_tokens_text, args.long)


class StopOnSignal:
    """First Ctrl-C: stop after the passages in flight; second: abandon them too."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.cancel = threading.Event()
        self._old: Any = None

    def __enter__(self) -> StopOnSignal:
        self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        if self.stop.is_set():
            self.cancel.set()
            print(f"\n{PROG}: abandoning the passages in flight", file=sys.stderr)
        else:
            self.stop.set()
            print(f"\n{PROG}: stopping after the passages in flight (Ctrl-C again to abandon them)", file=sys.stderr)

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._old)


def _report_inputs(prepared: Prepared) -> None:
    for problem in prepared.problems:
        print(f"{PROG}: skipped {problem}", file=sys.stderr)
    skipped = ", ".join(f"{reason}: {n}" for reason, n in prepared.skipped.items())
    print(
        f"{PROG}: {prepared.read} passages read, {len(prepared.passages)} to run" + (f" (skipped: {skipped})" if skipped else ""),
        file=sys.stderr,
    )


def _report_plan(plan: BatchPlan, total: int) -> None:
    """The passages in flight and why, and the estimate from the measured speed."""
    print(f"{PROG}: {plan.parallel.k} passages in flight ({plan.parallel.reason})", file=sys.stderr)
    if plan.seconds is not None:
        print(f"{PROG}: about {human_duration(plan.seconds)} for {total:,} passages with this model", file=sys.stderr)


def _summary(stats: BatchStats, prepared: Prepared, ledger: Ledger) -> str:
    nll, ifd = stats.medians()
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(stats.by_status.items())) or "none"
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(stats.reasons.items())) or "none"
    tps = stats.generated_tokens / stats.seconds if stats.seconds else 0.0
    scores = f"median NLL {nll:.3f}, median IFD {ifd:.3f}; " if nll is not None and ifd is not None else ""
    early = f"{stats.sealed} candidates stopped early (up to {stats.tokens_left} tokens saved); " if stats.sealed else ""
    if stats.written_elsewhere:
        early += f"{stats.written_elsewhere} written meanwhile by another run into the same file (kept once); "
    return (
        f"{stats.done} passages run ({statuses}); candidates rejected: {reasons}; {scores}{early}"
        f"{tps:.1f} tokens/s, {stats.per_hour:.0f} passages/h, {stats.parallel} in flight, {human_duration(stats.seconds)}. "
        f"{sum(ledger.counts.values())} records in {ledger.path}."
    )


def run(args: argparse.Namespace) -> int:
    if args.merge:
        return cluster_batch.merge(args)
    if not args.out:
        raise BadInput("cli.out_missing")
    policy = _check(args)
    if not args.ray:  # the ledger is never one of the files it is made from
        may_write(Path(args.out), tuple(Path(i) for i in args.inputs if _is_file(Path(i))), "what.output")
    params = sampling_from_args(args)
    choice = choice_from_args(args)
    source = cluster_batch.model_source(args)  # with --ray and --model hf://…: fetched here first
    pick = pick_model(args, Settings.load())
    spec = BatchSpec(
        args.inputs,
        args.out,
        params,
        pick.family,
        choice,
        policy,
        args.field,
        args.column,
        args.glob,
        args.restart,
        args.parallel,
        args.early_stop,
    )
    if args.ray:
        spec.family = args.template  # resolved on the driver, from the model the cluster runs
        return cluster_batch.run(args, spec, source or ModelSource(path=str(pick.path)), pick.scorer)
    scorer_sha = cached_sha256(pick.scorer) if pick.scorer is not None else None
    # a changed configuration is refused before loading
    ledger = open_ledger(spec, cached_sha256(pick.path), pick.family, scorer_sha)
    engine = load_model(pick, params, rifd=spec.choice.policy in RIFD_POLICIES)
    progress = TerminalProgress(unit=" passages")
    with engine, StopOnSignal() as signals:
        prepared = prepare(engine, spec, ledger, stop=signals.stop.is_set)
        if prepared.stopped:
            print(f"{PROG}: stopped while reading the corpus; nothing was run (run the command again).", file=sys.stderr)
            return 130
        _report_inputs(prepared)
        total = len(prepared.passages)
        plan = plan_run(engine, spec, prepared)
        _report_plan(plan, total)

        def on_record(_record: dict[str, Any], stats: BatchStats) -> None:
            eta = stats.eta_seconds()
            kept = stats.by_status.get("chosen", 0)
            desc = f"kept {kept}, not kept {stats.done - kept}, {stats.per_hour:.0f}/h" + (
                f", about {human_duration(eta)} left" if eta else ""
            )
            progress.count(stats.done, total, desc, label=PROG)

        try:
            stats = run_batch(
                engine,
                spec,
                prepared,
                ledger,
                stop=signals.stop.is_set,
                cancel=signals.cancel.is_set,
                on_record=on_record,
                plan=plan,
            )
        finally:
            progress.close()
    print(f"{PROG}: {_summary(stats, prepared, ledger)}", file=sys.stderr)
    if stats.stopped:
        left = total - stats.done
        print(f"{PROG}: stopped with {left} passages left; run the same command again to continue.", file=sys.stderr)
        return 130
    if not prepared.passages and not ledger.done:
        print(f"{PROG}: no passage to run: see the skips above", file=sys.stderr)
        return 3
    return 0
