"""``opening-train eval --model GGUF --data FILE``: the converted generator on held-out reversed pairs,
through this app's own engine — what the desktop app will produce with it.

Each pair's text is taken back out of its reverse prompt (:func:`opening_train.pairs.text_of`); the app
samples candidates for it, filters and ranks them exactly as ``opening eval-choice`` does
(:mod:`opening.pipeline.choice_eval`), and the original instruction (with its input folded in) is the
gold. The headline: ROUGE-L of the chosen instruction against the original one (over words, each Chinese
character a unit), of the mean candidate, and the share of pairs whose chosen candidate beats the mean
candidate; the table below breaks it down by way of choosing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from opening.base.choice import DEFAULT_POLICY
from opening.base.errors import BadInput
from opening.cli.eval_choice import run_pairs
from opening.pipeline.choice_eval import DevPair, EvalSummary
from opening_train.pairs import read_train_pairs, text_of


def held_out(path: Path, limit: int | None) -> list[DevPair]:
    pairs = []
    for pair in read_train_pairs(path)[:limit]:
        text = text_of(pair.prompt)
        if text is None:
            raise BadInput("train.eval_no_text", where=pair.where)
        pairs.append(DevPair(pair.target, text, lang=pair.lang))
    return pairs


def headline(summary: EvalSummary) -> str:
    s = next(v for v in summary.variants if v.variant == DEFAULT_POLICY)
    return (
        f"ROUGE-L of the chosen instruction vs the original: {s.rouge_chosen:.3f} (mean candidate {s.rouge_mean:.3f});"
        f" the chosen candidate beats the mean candidate on {s.beats_mean:.0%} of {s.picked} pairs with a pick"
        f" ({summary.texts} pairs, choice '{DEFAULT_POLICY}')"
    )


def eval_command(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise BadInput("cli.limit", got=args.limit)
    data = Path(args.data).expanduser()
    return run_pairs(args, held_out(data, args.limit), data, headline)
