"""The checkpoint a run starts from, checked before anything is trained: the trainer takes exactly the
checkpoints ``opening-convert`` can turn into GGUF (Baichuan-7B, Llama, Qwen2), so a run never ends after
hours with a model the app cannot use. The check reads ``config.json``, the tokenizer file and the weights'
names and shapes through the converter's own readers and plan (one home for what is convertible)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opening.base.errors import BadInput, OpeningError
from opening_convert.checkpoint import ModelConfig, Weights, read_config
from opening_convert.gguf_export import plan
from opening_convert.tokenizer_files import Tokenizer, read_tokenizer
from opening_train.memory_plan import check_memory
from opening_train.recipe import Recipe


@dataclass(frozen=True)
class Base:
    folder: Path
    config: ModelConfig
    tokenizer: Tokenizer


def layer_names(config: ModelConfig, layer: int) -> list[str]:
    """The tensors one decoder layer needs, as the base names them."""
    p = f"model.layers.{layer}"
    attn = [f"{p}.self_attn.W_pack.weight"] if config.family == "baichuan" else [f"{p}.self_attn.{x}_proj.weight" for x in "qkv"]
    if config.family == "qwen2":
        attn += [f"{p}.self_attn.{x}_proj.bias" for x in "qkv"]
    return [
        f"{p}.input_layernorm.weight",
        *attn,
        f"{p}.self_attn.o_proj.weight",
        f"{p}.post_attention_layernorm.weight",
        *(f"{p}.mlp.{x}_proj.weight" for x in ("gate", "up", "down")),
    ]


def check_base(folder: Path) -> Base:
    """The base as the trainer and the converter will read it, or BadInput saying why it cannot be one."""
    try:
        config = read_config(folder)
        tokenizer = read_tokenizer(folder, config.family)
        weights = Weights(folder)
        try:
            plan(config, weights)  # the converter's own check: every tensor it will read, with its shape
        finally:
            weights.close()
    except OpeningError as exc:
        raise BadInput("train.base_refused", folder=folder, reason=exc.message) from None
    return Base(folder, config, tokenizer)


def checked_base(folder: Path, recipe: Recipe, *, dpo: bool = False, ignore_memory_check: bool = False) -> Base:
    """The checks before a run, in the order that spares the user's time: the recipe's settings, the base,
    then whether the run fits in memory (:mod:`opening_train.memory_plan`)."""
    recipe.validate()
    base = check_base(folder)
    if not ignore_memory_check:
        check_memory(base.config, recipe, dpo=dpo)
    return base
