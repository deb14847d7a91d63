"""``opening-train``, the generator's first step, as commands:

* ``data [--sni DIR] [--dolly FILE] [--firefly FILE] [--coig FILE] --out FILE [--total N] [--seed N] [--mix …]
  [--tokenizer GGUF]`` — the reversed training set as JSONL and its report beside it (``FILE.stats.json``),
  both written whole or not at all;
* ``fit --base DIR|GGUF --data FILE --out DIR [--preset laptop] [--lora] [--max-steps N] [--resume] …`` —
  fine-tuning (:mod:`opening_train.fit`; a GGUF base ends with a GGUF generator, :mod:`opening_train.gguf_base`);
* ``prefer --base DIR --pairs FILE --out DIR [--lora] [--resume] …`` — DPO on the review's preference
  pairs (:mod:`opening_train.prefer`);
* ``eval --model GGUF --data FILE [--limit N] …`` — the converted generator through the app's own engine
  (:mod:`opening_train.evaluate`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from opening.base.atomic import atomic_write_bytes
from opening.base.checks import may_write
from opening.base.errors import BadInput, describe_os_error
from opening.base.logs import configure_logging
from opening.base.settings import Settings
from opening.cli.command import ArgumentParser, check_argv, run_command, write_stdout
from opening.cli.eval_choice import add_eval_options
from opening.cli.progress import TerminalProgress
from opening.models.resolve import resolve_model
from opening_train.evaluate import eval_command
from opening_train.extra import require_extra
from opening_train.hub_sources import source_file
from opening_train.mix import DEFAULT_TOTAL, build_mix, parse_mix
from opening_train.recipe import PRESETS, Recipe
from opening_train.reverse import Reversed
from opening_train.sources import SourcePair, read_coig, read_dolly, read_firefly, read_sni
from opening_train.stats import build_report

PROG = "opening-train"


def _parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=PROG, description="Make the OpenING generator: step one of the original.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("data", help="build the reversed training set from local copies of the sources")
    d.add_argument("--sni", metavar="DIR", help="Super-NaturalInstructions tasks folder (task*.json)")
    d.add_argument("--dolly", metavar="FILE", help="databricks-dolly-15k.jsonl; 'hub' or hf://OWNER/NAME/FILE downloads it")
    d.add_argument("--firefly", metavar="FILE", help="Firefly train JSONL (kind, input, target); 'hub' or hf://… downloads it")
    d.add_argument("--coig", metavar="FILE", help="COIG-CQIA JSONL (instruction, input, output): Chinese human pairs")
    d.add_argument("--out", required=True, metavar="FILE.jsonl", help="the training set to write")
    d.add_argument("--total", type=int, default=DEFAULT_TOTAL, help=f"pairs in the mix (default {DEFAULT_TOTAL})")
    d.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    d.add_argument("--mix", default=None, metavar="SRC=W,…", help="source weights (default: equal)")
    d.add_argument(
        "--held-out", type=int, default=0, metavar="N", help="keep N pairs out of training, in FILE.heldout.jsonl (for eval)"
    )
    d.add_argument("--tokenizer", metavar="GGUF", help="model whose tokens the report counts (default: the CLI's model)")
    f = sub.add_parser("fit", help="fine-tune a base on the reversed set (full, or LoRA with --lora)")
    f.add_argument("--data", required=True, metavar="FILE.jsonl", help="the reversed training set (opening-train data)")
    pr = sub.add_parser("prefer", help="DPO on the review's preference pairs (opening export --to dpo)")
    pr.add_argument("--pairs", required=True, metavar="FILE.jsonl", help="prompt, chosen, rejected on every line")
    pr.add_argument("--beta", type=float, default=0.1, help="DPO's beta: how far from the base (default 0.1)")
    for t in (f, pr):
        _recipe_options(t, epochs=1.0 if t is pr else 3.0)
    ev = sub.add_parser("eval", help="the converted generator on held-out reversed pairs, through the app's engine")
    ev.add_argument("--data", required=True, metavar="FILE.jsonl", help="held-out reversed pairs (opening-train data)")
    add_eval_options(ev)
    for parser in (p, d, f, pr, ev):
        parser.add_argument("-v", "--verbose", action="count", default=0)
    return p


def _recipe_options(t: argparse.ArgumentParser, epochs: float) -> None:
    d = Recipe()
    t.add_argument(
        "--base",
        required=True,
        metavar="DIR|GGUF",
        help="the checkpoint to start from: a Baichuan-7B, Llama or Qwen2 folder, or a Qwen2 GGUF file",
    )
    t.add_argument("--out", required=True, metavar="DIR", help="the run's folder; the model for opening-convert ends up in it")
    t.add_argument("--lora", action="store_true", default=None, help="train LoRA adapters (one consumer GPU), merged at the end")
    t.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="laptop: LoRA, one epoch, 384-token sequences, a checkpoint every 5 steps (for a CPU; other options win)",
    )
    t.add_argument(
        "--gguf-type",
        default="Q8_0",
        choices=("F16", "Q8_0", "Q4_0"),
        help="with a GGUF base: the tensor type of the generator written at the end (default Q8_0)",
    )
    t.add_argument("--resume", action="store_true", help="continue the unfinished run in --out from its last checkpoint")
    t.add_argument("--max-steps", type=int, default=d.max_steps, metavar="N", help="stop after N optimiser steps")
    t.add_argument("--epochs", type=float, default=None, metavar="F", help=f"passes over the data (default {epochs:g})")
    t.add_argument("--lr", type=float, default=None, metavar="F", help="learning rate (default: the recipe's)")
    t.add_argument(
        "--batch-size", type=int, default=None, metavar="N", help=f"sequences per device step (default {d.batch_size})"
    )
    t.add_argument("--grad-accum", type=int, default=None, metavar="N", help=f"steps per optimiser step (default {d.grad_accum})")
    t.add_argument(
        "--max-length", type=int, default=None, metavar="N", help=f"longest sequence in tokens (default {d.max_length})"
    )
    t.add_argument("--save-steps", type=int, default=None, metavar="N", help=f"checkpoint every N steps (default {d.save_steps})")
    t.add_argument("--seed", type=int, default=d.seed, metavar="N")
    t.add_argument("--lora-r", type=int, default=d.lora_r, metavar="N")
    t.add_argument("--lora-alpha", type=int, default=d.lora_alpha, metavar="N")
    t.add_argument("--keep-checkpoints", action="store_true", help="keep the checkpoints once the model is written")
    t.add_argument("--ignore-memory-check", action="store_true", help="train even when the estimate says it will not fit")


PRESET_KEYS = ("lora", "epochs", "max_length", "batch_size", "grad_accum", "save_steps")
"""The options a preset may set; their parser default is None, so a value given on the command line,
even the recipe's default, is told apart from one left out, and wins."""


def apply_preset(args: argparse.Namespace) -> None:
    """Fill the options left out: from the preset, else the recipe's defaults (``prefer``: one epoch)."""
    defaults = {**dataclasses.asdict(Recipe()), "epochs": 1.0 if args.command == "prefer" else 3.0}
    preset = PRESETS.get(args.preset or "", {})
    for key in PRESET_KEYS:
        if getattr(args, key) is None:
            setattr(args, key, preset.get(key, defaults[key]))


def recipe_from_args(args: argparse.Namespace) -> Recipe:
    return Recipe(
        lora=args.lora,
        epochs=args.epochs,
        max_steps=args.max_steps,
        lr=args.lr,
        max_length=args.max_length,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        save_steps=args.save_steps,
        seed=args.seed,
        lora_r=args.lora_r,
        lora_alpha=args.lora_alpha,
    )


def train_command(args: argparse.Namespace) -> int:
    """``fit`` or ``prefer``: the same run folder, recipe and progress; each its own trainer."""
    apply_preset(args)
    require_extra()
    progress = TerminalProgress(unit=" steps")
    base, out, recipe = Path(args.base).expanduser(), Path(args.out).expanduser(), recipe_from_args(args)
    options = {
        "resume": args.resume,
        "keep_checkpoints": args.keep_checkpoints,
        "ignore_memory_check": args.ignore_memory_check,
        "on_step": lambda step, total, desc: progress.count(step, total, desc, label=f"{PROG} {args.command}"),
    }
    try:
        if args.command == "fit":
            from opening_train.fit import fit

            data_path = Path(args.data).expanduser()
            note = lambda text: progress.note(f"{PROG} fit: {text}")  # noqa: E731
            summary, what = fit(base, data_path, out, recipe, on_note=note, gguf_type=args.gguf_type, **options), "fine-tuned"
        else:
            from opening_train.prefer import prefer

            summary, what = (
                prefer(base, Path(args.pairs).expanduser(), out, recipe, beta=args.beta, **options),
                "preference-trained",
            )
    finally:
        progress.close()
    made = (
        f"the generator is {summary['generator']} (opening generate --model …)"
        if summary.get("generator")
        else f"the model for opening-convert is in {out}"
    )
    print(
        f"{PROG}: {what}: {summary['steps']} steps on {summary['pairs']} pairs in {summary['seconds']} s"
        f" (mean loss {summary['train_loss']:.4f}); {made}",
        file=sys.stderr,
    )
    write_stdout(f"{summary.get('generator') or out}\n")
    return 0


def data(args: argparse.Namespace) -> int:
    if not 1 <= args.total <= 10_000_000:
        raise BadInput("train.bad_total", got=args.total)
    sources: dict[str, Iterable[SourcePair]] = {}
    inputs: list[Path] = []
    if args.sni:
        sni = Path(args.sni).expanduser()
        sources["sni"] = read_sni(sni)
        inputs += sorted(sni.glob("task*.json")) if sni.is_dir() else []
    progress = TerminalProgress(unit="B", scale=True, every=10.0)
    try:
        for kind, value, reader in (("dolly", args.dolly, read_dolly), ("firefly", args.firefly, read_firefly)):
            if value:
                local = source_file(value, kind, lambda p: progress.update(p.done, p.total, "downloading"))
                sources[kind] = reader(local)
                inputs.append(local)
    finally:
        progress.close()
    if args.coig:
        coig = Path(args.coig).expanduser()
        sources["coig"], inputs = read_coig(coig), [*inputs, coig]
    if not sources:
        raise BadInput("train.no_sources")
    weights = parse_mix(args.mix) if args.mix else None
    out = Path(args.out).expanduser()
    for target in (out, out.with_name(out.stem + ".stats.json"), out.with_name(out.stem + ".heldout.jsonl")):
        may_write(target, tuple(inputs))  # never onto a source: --out d.jsonl --dolly d.jsonl is refused
    tokenizer = resolve_model(args.tokenizer, Settings.load()).path
    if not 0 <= args.held_out < args.total:
        raise BadInput("train.bad_held_out", got=args.held_out, most=args.total - 1, total=args.total)
    examples, mix = build_mix(sources, total=args.total, weights=weights, seed=args.seed)
    held, examples = examples[: args.held_out], examples[args.held_out :]
    if not examples:
        raise BadInput("train.bad_held_out", got=args.held_out, most=len(held) - 1, total=len(held))
    from opening.llama.model import LlamaModel

    with LlamaModel(tokenizer, use_mmap=True, repack=False, vocab_only=True) as model:
        count = lambda text: len(model.tokenize(text, add_special=False, parse_special=False))  # noqa: E731
        report = build_report(examples, mix, count, total=args.total, seed=args.seed, tokenizer=tokenizer.name)
    stats = out.with_name(out.stem + ".stats.json")
    held_file = out.with_name(out.stem + ".heldout.jsonl")
    report["held_out"] = {"pairs": len(held), "file": held_file.name if held else None}

    def body(rows: list[Reversed]) -> bytes:
        return "".join(json.dumps(e.record(), ensure_ascii=False) + "\n" for e in rows).encode("utf-8")

    try:
        if held:
            atomic_write_bytes(held_file, body(held))
        atomic_write_bytes(out, body(examples))
        atomic_write_bytes(stats, json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8"))
    except OSError as exc:
        raise BadInput("path.cannot_write", path=out, reason=describe_os_error(exc)) from None
    kept = ", ".join(f"{k} {v}" for k, v in sorted(report["by_source"].items()))
    print(
        f"{PROG}: {len(examples)} reversed pairs ({kept}; {mix.exact_duplicates} exact and {mix.near_duplicates} near"
        f" duplicates dropped; {report['over_max_length']['examples']} over 512 tokens) written to {out}; report: {stats}"
        + (f"; {len(held)} held out for eval in {held_file}" if held else ""),
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
        command = {"data": data, "fit": train_command, "prefer": train_command, "eval": eval_command}[args.command]
        return command(args)

    return run_command(PROG, run)
