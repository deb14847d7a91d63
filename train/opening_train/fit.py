"""``opening-train fit``: fine-tune a base on a reversed training set, loss on the target only, resumable,
and write the result where ``opening-convert`` reads it.

The order guards the user's time: the base is checked first (a base the converter cannot take is refused
before any training), then the data (every line), then the run folder (a new run, or ``--resume`` of the
same one); only then is torch loaded and the model trained.

A GGUF base (:mod:`opening_train.gguf_base`) is checked from its header, unpacked into the run folder once,
and the trained model is written back as a GGUF beside the run's checkpoint, ready for ``opening generate``.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opening.base.errors import BadInput, OpeningError
from opening.models.trained import register_trained
from opening_train.bases import Base, check_base, checked_base
from opening_train.gguf_base import BASE_FOLDER, check_gguf_base, config_of, is_gguf, mark_generator, unpack, write_generator
from opening_train.memory_plan import check_memory
from opening_train.pairs import TrainPair, read_train_pairs
from opening_train.recipe import Recipe
from opening_train.run_folder import finish, open_run, run_identity
from opening_train.step_log import NoteFn, StepFn
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
    on_note: NoteFn | None = None,
    gguf_type: str = "Q8_0",
    threads: int = 2,
) -> dict[str, Any]:
    """The whole run; returns its summary (also recorded in the run folder). With a GGUF base the summary
    names the generator GGUF written at the end (``generator``)."""
    gguf = check_gguf_base(base_dir) if is_gguf(base_dir) else None
    if gguf is not None:
        recipe.validate()
        if not ignore_memory_check:
            check_memory(config_of(gguf), recipe)
    else:
        base: Base = checked_base(base_dir, recipe, ignore_memory_check=ignore_memory_check)
    pairs = read_train_pairs(data)
    inputs = {"data": data, **({"base_gguf": base_dir} if gguf is not None else {})}
    run, checkpoint = open_run(out, run_identity("fit", base_dir, inputs, recipe.identity()), resume)
    if gguf is not None:
        if on_note and checkpoint is None:
            on_note(f"loading {base_dir.name} as a float model and checking its tokenizer (a minute or two)")
        try:
            base = check_base(unpack(base_dir, gguf, run.out / BASE_FOLDER))
        except BadInput:
            if checkpoint is None and not run.log.exists():  # a run that never started leaves its folder empty
                run.record.unlink(missing_ok=True)
            raise
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
        callbacks=[StepLog(run, on_step, on_note, pairs=len(examples))],
    )
    quiet(trainer)
    summary: dict[str, Any] = {"pairs": len(examples), "left_out_too_long": too_long, "lr": lr}
    summary.update(train_and_write(trainer, checkpoint, base, run, prec, recipe.lora))
    mark_generator(run.staging)
    finish(run, summary, keep_checkpoints)
    if gguf is not None:
        if on_note:
            on_note(f"writing the generator as {gguf_type} GGUF")
        generator = write_generator(run.out, base_dir, gguf_type, threads)
        summary["generator"] = str(generator)
        record = run.read()
        record["summary"] = summary
        run.write(record)
        shutil.rmtree(run.out / BASE_FOLDER, ignore_errors=True)  # the float copy of the base: derived, large
        try:
            register_trained(generator)  # Models ▸ Use a generator I trained
        except OpeningError as exc:
            log.warning("the generator is written but not listed in the window's models: %s", exc.message)
    return summary
