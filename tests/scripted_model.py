"""A real GGUF whose every continuation is a fixed text, whatever CPU llama.cpp runs on.

Tests that need a particular candidate (one that survives the filter, a refusal, an echo, a loop) must
not hope that a model samples it: llama.cpp built for AVX2 and for AVX-512 adds in other orders, and
the same seed then samples other tokens. This module writes a tiny Llama that *cannot* sample anything
but its script: it carries SmolLM2's tokenizer and chat template (so prompts, stop texts and scoring go
through the same code as with any model), one layer whose attention and feed-forward outputs are zero
(so the hidden state is the current token's embedding), and an output matrix that maps

* every token outside the script to the script's first token,
* the script's i-th token to its (i+1)-th, and the last one to the end-of-generation token,

with a logit margin of 80 nats over every other token: no kernel's rounding (1e-5 at most) and no
temperature ≤ 1 can change a sampled token. Sampling, stop texts, seals, the filter, scoring and saving all
run in real llama.cpp; only the text the model writes is fixed. The script's tokens must be distinct
(the map is a bigram); :func:`write_scripted_model` refuses a script that repeats one.

With several scripts, the first step gives each script's first token the *same* logit: every product in
it has one non-zero factor, so the ties are exact on every CPU, and which script a candidate follows
depends on the seeded sampler alone (llama.cpp's own RNG, the same everywhere). A run's candidates then
differ from each other, and are the same on every machine for a seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gguf import GGUFReader, GGUFValueType, GGUFWriter

N_EMBD = 128
MARGIN = 10.0
"""Output weight; after RMSNorm the hidden state has norm 8 in its one dimension: logit 80."""
_COPIED = (
    "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
    "tokenizer.ggml.merges", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id", "tokenizer.ggml.add_bos_token",
    "tokenizer.ggml.add_space_prefix", "tokenizer.chat_template",
)


def _field_value(reader: GGUFReader, key: str) -> tuple[object, GGUFValueType, GGUFValueType | None]:
    field = reader.fields[key]
    kind = field.types[0]
    sub = field.types[-1] if kind == GGUFValueType.ARRAY else None
    return field.contents(), kind, sub


def script_tokens(base: Path, script: str) -> list[int]:
    """The script as the base's tokenizer splits it (llama.cpp's own, vocabulary only)."""
    from opening.llama.model import LlamaModel

    vocab = LlamaModel(base, vocab_only=True)
    try:
        return vocab.tokenize(script, add_special=False, parse_special=False)
    finally:
        vocab.close()


def write_scripted_model(
    path: Path, base: Path, scripts: str | list[str], name: str = "scripted test model", *, chat_template: bool = True
) -> Path:
    """Write ``path``: a model whose continuation of any prompt is one of ``scripts`` (the seeded sampler
    picks which), then end of generation (``chat_template=False``: without the base's chat template)."""
    token_lists = [script_tokens(base, s) for s in ([scripts] if isinstance(scripts, str) else scripts)]
    every = [t for tokens in token_lists for t in tokens]
    if len(set(every)) != len(every) or not all(token_lists):
        raise ValueError(f"scripts must be non-empty and share or repeat no token: {scripts!r} are {token_lists}")
    if len(every) + 1 > N_EMBD:
        raise ValueError(f"scripts of at most {N_EMBD - 1} tokens in all")
    reader = GGUFReader(str(base))
    n_vocab = len(reader.fields["tokenizer.ggml.tokens"].data)
    eos = int(reader.fields["tokenizer.ggml.eos_token_id"].contents())

    embed = np.zeros((n_vocab, N_EMBD), dtype=np.float32)
    embed[:, 0] = 1.0  # every token outside the scripts: direction 0
    out = np.zeros((n_vocab, N_EMBD), dtype=np.float32)
    direction = 1
    for tokens in token_lists:
        out[tokens[0], 0] = MARGIN  # direction 0 → each script's first token, all tied
        for tok, nxt in zip(tokens, [*tokens[1:], eos]):
            embed[tok] = 0.0
            embed[tok, direction] = 1.0
            out[nxt, direction] = MARGIN  # this token's direction → the script's next token
            direction += 1
    zeros = np.zeros((N_EMBD, N_EMBD), dtype=np.float32)

    writer = GGUFWriter(str(path), "llama")
    writer.add_name(name)
    writer.add_context_length(4096)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(1)
    writer.add_feed_forward_length(N_EMBD)
    writer.add_head_count(1)
    writer.add_head_count_kv(1)
    writer.add_rope_dimension_count(N_EMBD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(0)
    for key in _COPIED:
        if key not in reader.fields or (key == "tokenizer.chat_template" and not chat_template):
            continue
        value, kind, sub = _field_value(reader, key)
        writer.add_key_value(key, value, kind, sub_type=sub)
    ones = np.ones(N_EMBD, dtype=np.float32)
    writer.add_tensor("token_embd.weight", embed)
    writer.add_tensor("output_norm.weight", ones)
    writer.add_tensor("output.weight", out)
    writer.add_tensor("blk.0.attn_norm.weight", ones)
    writer.add_tensor("blk.0.ffn_norm.weight", ones)
    for name_ in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"):
        writer.add_tensor(f"blk.0.{name_}.weight", zeros)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
