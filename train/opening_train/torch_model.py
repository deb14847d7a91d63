"""The base in torch, and the trained model written back where ``opening-convert`` reads it.

Every base is loaded from the converter's own weight reader, without remote code: Llama and Baichuan as
transformers' ``LlamaForCausalLM``, Qwen2 as ``Qwen2ForCausalLM``. Baichuan-7B is a Llama with Q, K and V
fused in ``W_pack`` (split here into ``q_proj``, ``k_proj``, ``v_proj``, exactly the rows the converter
slices), and Baichuan2's NormHead is applied once to ``lm_head`` at load (what it does at run time); so a
Baichuan base comes out as a Llama checkpoint. The result — config.json, safetensors, the base's tokenizer
files (``tokenizer.model`` or ``tokenizer.json``, and ``tokenizer_config.json`` for the chat template) — is
what the converter takes as it is.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedConfig, PreTrainedModel, Qwen2Config, Qwen2ForCausalLM

from opening_convert.checkpoint import Weights
from opening_train.bases import Base, layer_names


def model_config(base: Base) -> PreTrainedConfig:
    c = base.config
    kind = Qwen2Config if c.family == "qwen2" else LlamaConfig
    return kind(
        vocab_size=c.n_vocab,
        hidden_size=c.n_embd,
        intermediate_size=c.n_ff,
        num_hidden_layers=c.n_layer,
        num_attention_heads=c.n_head,
        num_key_value_heads=c.n_head_kv,
        max_position_embeddings=c.n_ctx,
        rms_norm_eps=c.rms_eps,
        rope_parameters={"rope_type": "default", "rope_theta": c.rope_theta},
        tie_word_embeddings=c.tie_embeddings,
        bos_token_id=base.tokenizer.bos_id,
        eos_token_id=base.tokenizer.eos_id,
    )


def model_class(base: Base) -> type[PreTrainedModel]:
    return Qwen2ForCausalLM if base.config.family == "qwen2" else LlamaForCausalLM


def _tensor(weights: Weights, name: str, dtype: torch.dtype, rows: slice | None = None) -> torch.Tensor:
    n = weights.shape(name)[0]
    start, stop = (0, n) if rows is None else (rows.start, rows.stop)
    return torch.from_numpy(np.array(weights.rows(name, start, stop), dtype=np.float32)).to(dtype)  # a writable copy


def load_base(base: Base, dtype: torch.dtype) -> PreTrainedModel:
    """The base's weights in a model of ``dtype`` (one tensor at a time: one copy in memory)."""
    from accelerate import init_empty_weights

    c = base.config
    with init_empty_weights(include_buffers=False):
        model = model_class(base)(model_config(base))
    state: dict[str, torch.Tensor] = {}
    weights = Weights(base.folder)
    try:
        for name in ("model.embed_tokens.weight", "model.norm.weight"):
            state[name] = _tensor(weights, name, dtype)
        if not c.tie_embeddings:
            head = _tensor(weights, "lm_head.weight", torch.float32)
            if c.norm_head:
                head = torch.nn.functional.normalize(head, dim=-1)
            state["lm_head.weight"] = head.to(dtype)
        kv = c.n_head_kv * c.head_dim
        for i in range(c.n_layer):
            for name in layer_names(c, i):
                if name.endswith("W_pack.weight"):
                    p = name.removesuffix("W_pack.weight")
                    for x, rows in (
                        ("q", slice(0, c.n_embd)),
                        ("k", slice(c.n_embd, c.n_embd + kv)),
                        ("v", slice(c.n_embd + kv, c.n_embd + 2 * kv)),
                    ):
                        state[f"{p}{x}_proj.weight"] = _tensor(weights, name, dtype, rows)
                else:
                    state[name] = _tensor(weights, name, dtype)
    finally:
        weights.close()
    model.load_state_dict(state, strict=not c.tie_embeddings, assign=True)
    if c.tie_embeddings:
        model.tie_weights()
    return model


def save_for_convert(model: Any, base: Base, folder: Path) -> None:
    """config.json, safetensors and the tokenizer files in ``folder`` (a new, empty folder)."""
    model.save_pretrained(folder, safe_serialization=True, max_shard_size="4GB")
    for name in ("tokenizer.model", "tokenizer.json", "tokenizer_config.json"):
        if (base.folder / name).is_file():
            shutil.copyfile(base.folder / name, folder / name)
