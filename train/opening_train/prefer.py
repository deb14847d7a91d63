"""``opening-train prefer``: DPO (trl) on the preference pairs the review step exports — the person's
edited instruction over the model's pick, the pick over each candidate the filter rejected — so the
generator learns from what people kept.

Same rules as ``fit`` (:mod:`opening_train.fit`): base checked first, then every line of the pairs, then the
run folder; checkpoints, ``--resume``, LoRA merged at the end, the model written for ``opening-convert``.
The pairs are tokenized here with llama.cpp's tokenizer of the base (:mod:`opening_train.tokens`), each
prompt and completion in one piece, and handed to trl already tokenized; the reference model is the base
itself (a frozen copy, or the LoRA model with its adapters switched off).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from opening.base.errors import BadInput
from opening_train.bases import checked_base
from opening_train.pairs import PreferencePair, read_preferences
from opening_train.recipe import Recipe
from opening_train.run_folder import RunFolder, finish, open_run, run_identity
from opening_train.step_log import StepFn
from opening_train.tokens import Vocabulary

log = logging.getLogger(__name__)


def encode_preferences(
    vocab: Vocabulary, pairs: list[PreferencePair], max_length: int, pairs_file: Path
) -> tuple[list[dict[str, list[int]]], int]:
    rows, too_long = [], 0
    for pair in pairs:
        chosen, rejected = vocab.encode(pair.prompt, pair.chosen), vocab.encode(pair.prompt, pair.rejected)
        if chosen.prompt != rejected.prompt:  # a token merged across the boundary differently: keep the shared part
            shared = next(i for i, (a, b) in enumerate(zip(chosen.prompt + [-1], rejected.prompt + [-2], strict=False)) if a != b)
            chosen_ids = chosen.prompt[shared:] + chosen.completion
            rejected_ids = rejected.prompt[shared:] + rejected.completion
            prompt = chosen.prompt[:shared]
        else:
            prompt, chosen_ids, rejected_ids = chosen.prompt, chosen.completion, rejected.completion
        if len(prompt) + max(len(chosen_ids), len(rejected_ids)) > max_length:
            too_long += 1
            continue
        rows.append({"prompt_ids": prompt, "chosen_ids": chosen_ids, "rejected_ids": rejected_ids})
    if not rows:
        raise BadInput("train.all_too_long", path=pairs_file, max_length=max_length)
    return rows, too_long


def _id_tokenizer(vocab: Vocabulary) -> Any:
    """trl wants a transformers tokenizer for its pad token; the ids are already made, so one that knows
    the vocabulary's pieces by id is enough (it never tokenizes)."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    pieces: dict[str, int] = {}
    for i, piece in enumerate(vocab.pieces):
        pieces.setdefault(piece, i)
    unk = vocab.pieces[0]
    fast = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel(pieces, unk_token=unk)), unk_token=unk)
    fast.eos_token = fast.pad_token = vocab.pieces[vocab.eos]
    return fast


def _margins(run: RunFolder) -> tuple[float | None, float | None]:
    """The chosen-minus-rejected reward margin at the first and the last logged step."""
    values = []
    if run.log.is_file():
        for line in run.log.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if "rewards/margins" in item:
                values.append(float(item["rewards/margins"]))
    return (values[0], values[-1]) if values else (None, None)


def prefer(
    base_dir: Path,
    pairs_file: Path,
    out: Path,
    recipe: Recipe,
    *,
    beta: float = 0.1,
    resume: bool,
    keep_checkpoints: bool = False,
    ignore_memory_check: bool = False,
    on_step: StepFn | None = None,
) -> dict[str, Any]:
    if not 0 < beta <= 100:
        raise BadInput("train.bad_setting", name="--beta", got=beta)
    base = checked_base(base_dir, recipe, dpo=True, ignore_memory_check=ignore_memory_check)
    pairs = read_preferences(pairs_file)
    identity = run_identity("prefer", base_dir, {"pairs": pairs_file}, {"beta": beta, **recipe.identity()})
    run, checkpoint = open_run(out, identity, resume)
    with Vocabulary(base, run.checkpoints) as vocab:
        rows, too_long = encode_preferences(vocab, pairs, recipe.max_length, pairs_file)
        tokenizer = _id_tokenizer(vocab)
        pad = vocab.eos
    if too_long:
        log.warning("%d preference pairs longer than %d tokens are left out (--max-length)", too_long, recipe.max_length)

    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer
    from trl.trainer.dpo_trainer import DataCollatorForPreference

    from opening_train.step_log import StepLog
    from opening_train.torch_model import load_base
    from opening_train.trainer_setup import arguments, frozen, load_model, precision, quiet, train_and_write

    class Pretokenized(DPOTrainer):
        def _prepare_dataset(self, dataset: Any, *args: Any, **kwargs: Any) -> Any:
            return dataset  # tokenized above, by llama.cpp's tokenizer

    prec = precision(recipe.lora)
    lr = recipe.lr if recipe.lr is not None else (2e-5 if recipe.lora else 1e-6)
    model = load_model(base, recipe, prec)
    reference = None if recipe.lora else frozen(load_base(base, prec.load))  # LoRA: the adapters switched off
    config = DPOConfig(**arguments(run, recipe, prec, lr), beta=beta, max_length=recipe.max_length)
    trainer = Pretokenized(
        model=model,
        ref_model=reference,
        args=config,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        data_collator=DataCollatorForPreference(pad_token_id=pad, max_length=recipe.max_length),
        callbacks=[StepLog(run, on_step)],
    )
    quiet(trainer)
    summary: dict[str, Any] = {"pairs": len(rows), "left_out_too_long": too_long, "lr": lr, "beta": beta}
    summary.update(train_and_write(trainer, checkpoint, base, run, prec, recipe.lora))
    summary["margin_first_step"], summary["margin_last_step"] = _margins(run)
    finish(run, summary, keep_checkpoints)
    return summary
