"""``opening-train fit``: fine-tune a base on a reversed training set, loss on the target only, resumable,
and write the result where ``opening-convert`` reads it.

The order guards the user's time: the base is checked first (a base the converter cannot take is refused
before any training), then the data (every line), then the run folder (a new run, or ``--resume`` of the
same one); only then is torch loaded and the model trained.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opening.base.errors import BadInput
from opening_train.bases import Base, checked_base
from opening_train.pairs import TrainPair, read_train_pairs
from opening_train.recipe import Recipe
from opening_train.run_folder import finish, open_run, run_identity
from opening_train.step_log import StepFn
from opening_train.tokens import Encoded, Vocabulary

log = logging.getLogger(__name__)

IGNORE = -100
"""The label transformers leaves out of the loss."""


@dataclass(frozen=True)
class Example:
    input_ids: list[int]
    labels: list[int]


def example(encoded: Encoded) -> Example:
    """Prompt and target in one sequence; only the target's tokens (and EOS) carry labels."""
    return Example(encoded.prompt + encoded.completion, [IGNORE] * len(encoded.prompt) + encoded.completion)


class MaskedCollator:
    """Pads a batch on the right: pad tokens are masked out of attention and carry no label."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, batch: list[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        n = max(len(b["input_ids"]) for b in batch)
        ids = [b["input_ids"] + [self.pad_id] * (n - len(b["input_ids"])) for b in batch]
        mask = [[1] * len(b["input_ids"]) + [0] * (n - len(b["input_ids"])) for b in batch]
        labels = [b["labels"] + [IGNORE] * (n - len(b["labels"])) for b in batch]
        return {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask), "labels": torch.tensor(labels)}


def encode_examples(vocab: Vocabulary, pairs: list[TrainPair], max_length: int, data: Path) -> tuple[list[Example], int]:
    """Every pair as an example, and how many were left out for being over ``max_length``."""
    examples, too_long = [], 0
    for pair in pairs:
        encoded = vocab.encode(pair.prompt, pair.target)
        if len(encoded) > max_length:
            too_long += 1
            continue
        examples.append(example(encoded))
    if vocab.split_at_boundary:
        log.warning("%d pairs: the prompt's last token merged with the target's first", vocab.split_at_boundary)
    if not examples:
        raise BadInput("train.all_too_long", path=data, max_length=max_length)
    return examples, too_long


def fit(
    base_dir: Path,
    data: Path,
    out: Path,
    recipe: Recipe,
    *,
    resume: bool,
    keep_checkpoints: bool = False,
    ignore_memory_check: bool = False,
    on_step: StepFn | None = None,
) -> dict[str, Any]:
    """The whole run; returns its summary (also recorded in the run folder)."""
    base: Base = checked_base(base_dir, recipe, ignore_memory_check=ignore_memory_check)
    pairs = read_train_pairs(data)
    run, checkpoint = open_run(out, run_identity("fit", base_dir, {"data": data}, recipe.identity()), resume)
    with Vocabulary(base, run.checkpoints) as vocab:
        examples, too_long = encode_examples(vocab, pairs, recipe.max_length, data)
        pad = vocab.eos
    if too_long:
        log.warning("%d pairs longer than %d tokens are left out (--max-length)", too_long, recipe.max_length)

    from transformers import Trainer, TrainingArguments

    from opening_train.step_log import StepLog
    from opening_train.trainer_setup import arguments, load_model, precision, quiet, train_and_write

    prec = precision(recipe.lora)
    lr = recipe.lr if recipe.lr is not None else (2e-4 if recipe.lora else 2e-5)
    model = load_model(base, recipe, prec)
    trainer = Trainer(
        model=model,
        args=TrainingArguments(**arguments(run, recipe, prec, lr)),
        train_dataset=[{"input_ids": e.input_ids, "labels": e.labels} for e in examples],
        data_collator=MaskedCollator(pad),
        callbacks=[StepLog(run, on_step)],
    )
    quiet(trainer)
    summary = {"pairs": len(examples), "left_out_too_long": too_long, "lr": lr}
    summary.update(train_and_write(trainer, checkpoint, base, run, prec, recipe.lora))
    finish(run, summary, keep_checkpoints)
    return summary
