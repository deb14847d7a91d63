"""Write the checkpoint as an F32/F16/BF16 GGUF, tensor by tensor, under a temporary name.

Name map (HF → GGUF), per block i: ``input_layernorm`` → ``attn_norm``; Baichuan's fused
``self_attn.W_pack`` (rows Q;K;V) or Llama's ``q_proj``/``k_proj``/``v_proj`` → ``attn_q/k/v``, with Q
and K un-permuted from HF's rotate-half layout to GGML's interleaved one (not for Qwen2, which llama.cpp
runs rotate-half, and whose Q/K/V biases go to ``attn_q/k/v.bias``); ``o_proj`` → ``attn_output``;
``post_attention_layernorm`` → ``ffn_norm``; ``gate/up/down_proj`` → ``ffn_gate/up/down``; plus
``embed_tokens`` → ``token_embd``, ``norm`` → ``output_norm``, ``lm_head`` → ``output`` (Baichuan2:
rows normalised). Only one block of rows (≤ 32 MB as float32) is in memory at a time.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter, LlamaFileType
from gguf.quants import quantize as gguf_quantize

from opening.base.atomic import commit_temp, remove_quietly
from opening.base.errors import describe_os_error
from opening.base.messages import Message
from opening.base.progress import StageFn

from .bpe_tokenizer import BpeVocab
from .checkpoint import ModelConfig, Weights
from .errors import ConvertError
from .sentencepiece_model import UNUSED, USER_DEFINED, SentencePieceModel
from .tokenizer_files import Tokenizer

log = logging.getLogger(__name__)

FLOAT_DTYPES = {
    "F32": (np.float32, GGMLQuantizationType.F32, LlamaFileType.ALL_F32),
    "F16": (np.float16, GGMLQuantizationType.F16, LlamaFileType.MOSTLY_F16),
    "BF16": (np.uint16, GGMLQuantizationType.BF16, LlamaFileType.MOSTLY_BF16),
}


def unpermute(w: np.ndarray, n_head: int) -> np.ndarray:
    """HF's rotate-half Q/K rows → GGML's interleaved RoPE layout."""
    rows, cols = w.shape
    return w.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2).reshape(rows, cols)


RowsFn = Callable[[int, int], np.ndarray]
CHUNK_BYTES = 32 * 1024 * 1024
"""float32 bytes converted at a time: a 64000×4096 embedding goes in ~16 pieces, not one 1 GB copy."""


@dataclass(frozen=True)
class Planned:
    name: str
    shape: tuple[int, ...]
    rows: RowsFn
    """Rows ``[a, b)`` of the output tensor as float32."""
    unit: int = 1
    """Chunks start and end on multiples of this many rows (one attention head for un-permuted Q/K)."""

    def chunks(self) -> list[tuple[int, int]]:
        n = self.shape[0]
        if len(self.shape) == 1:
            return [(0, n)]
        per = max(self.unit, CHUNK_BYTES // (4 * self.shape[1]) // self.unit * self.unit)
        return [(a, min(n, a + per)) for a in range(0, n, per)]


def _expect(weights: Weights, name: str, shape: tuple[int, ...]) -> None:
    if not weights.has(name):
        raise ConvertError("convert.no_tensor_shape", name=name, shape=list(shape))
    got = weights.shape(name)
    if tuple(got) != shape:
        raise ConvertError("convert.bad_shape", name=name, got=list(got), shape=list(shape))


def plan(cfg: ModelConfig, weights: Weights) -> list[Planned]:
    """Every output tensor with how to make it; checks every input's presence and shape first."""
    e, ff, v, hd = cfg.n_embd, cfg.n_ff, cfg.n_vocab, cfg.head_dim
    kv = cfg.n_head_kv * hd
    out: list[Planned] = []

    def take(
        src: str,
        shape: tuple[int, ...],
        dst: str,
        *,
        offset: int = 0,
        heads: bool = False,
        fix: Callable[[np.ndarray], np.ndarray] | None = None,
        src_shape: tuple[int, ...] | None = None,
    ) -> None:
        """``dst`` = rows ``offset:offset+shape[0]`` of ``src`` (un-permuted head by head if ``heads``)."""
        _expect(weights, src, src_shape or shape)

        def rows(a: int, b: int) -> np.ndarray:
            block = weights.rows(src, offset + a, offset + b)
            if heads:
                block = unpermute(block, (b - a) // hd)
            return fix(block) if fix else block

        out.append(Planned(dst, shape, rows, hd if heads else 1))

    take("model.embed_tokens.weight", (v, e), "token_embd.weight")
    for i in range(cfg.n_layer):
        hf, gg = f"model.layers.{i}", f"blk.{i}"
        take(f"{hf}.input_layernorm.weight", (e,), f"{gg}.attn_norm.weight")
        if cfg.family == "baichuan":
            packed, whole = f"{hf}.self_attn.W_pack.weight", (3 * e, e)
            take(packed, (e, e), f"{gg}.attn_q.weight", heads=True, src_shape=whole)
            take(packed, (e, e), f"{gg}.attn_k.weight", offset=e, heads=True, src_shape=whole)
            take(packed, (e, e), f"{gg}.attn_v.weight", offset=2 * e, src_shape=whole)
        else:
            interleave = cfg.family != "qwen2"  # llama.cpp runs Qwen2's RoPE rotate-half, as HF does
            take(f"{hf}.self_attn.q_proj.weight", (e, e), f"{gg}.attn_q.weight", heads=interleave)
            take(f"{hf}.self_attn.k_proj.weight", (kv, e), f"{gg}.attn_k.weight", heads=interleave)
            take(f"{hf}.self_attn.v_proj.weight", (kv, e), f"{gg}.attn_v.weight")
            if cfg.family == "qwen2":
                for x, n in (("q", e), ("k", kv), ("v", kv)):
                    take(f"{hf}.self_attn.{x}_proj.bias", (n,), f"{gg}.attn_{x}.bias")
        take(f"{hf}.self_attn.o_proj.weight", (e, e), f"{gg}.attn_output.weight")
        take(f"{hf}.post_attention_layernorm.weight", (e,), f"{gg}.ffn_norm.weight")
        take(f"{hf}.mlp.gate_proj.weight", (ff, e), f"{gg}.ffn_gate.weight")
        take(f"{hf}.mlp.up_proj.weight", (ff, e), f"{gg}.ffn_up.weight")
        take(f"{hf}.mlp.down_proj.weight", (e, ff), f"{gg}.ffn_down.weight")
    take("model.norm.weight", (e,), "output_norm.weight")
    head = "lm_head.weight" if weights.has("lm_head.weight") or not cfg.tie_embeddings else "model.embed_tokens.weight"
    normalise = (lambda w: w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-12)) if cfg.norm_head else None
    take(head, (v, e), "output.weight", fix=normalise)
    return out


def _vocab(sp: SentencePieceModel, n_vocab: int) -> tuple[list[bytes], list[float], list[int]]:
    if len(sp.pieces) > n_vocab:
        raise ConvertError("convert.vocab_mismatch", pieces=len(sp.pieces), n_vocab=n_vocab)
    tokens = [p.encode("utf-8") for p in sp.pieces]
    scores, types = list(sp.scores), [t if 1 <= t <= 6 else UNUSED for t in sp.types]
    for i in range(len(tokens), n_vocab):  # pad to the embedding's rows, as llama.cpp's converter does
        tokens.append(f"[PAD{i}]".encode())
        scores.append(-1000.0)
        types.append(USER_DEFINED)
    return tokens, scores, types


GENERATOR_MARK = "opening-generator.json"
"""In a checkpoint ``opening-train`` wrote: ``{"reverse_template": "opening"}``, the reverse templates the
generator was trained on; written into the GGUF as ``opening.reverse_template`` so that the app's ``auto``
picks them (and not the chat prompts a chat template would otherwise select)."""
REVERSE_TEMPLATE_KEY = "opening.reverse_template"


def reverse_template(folder: Path) -> str | None:
    try:
        value = json.loads((folder / GENERATOR_MARK).read_text(encoding="utf-8")).get("reverse_template")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def chat_template(folder: Path) -> str | None:
    path = folder / "tokenizer_config.json"
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("chat_template")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def write_gguf(
    cfg: ModelConfig,
    weights: Weights,
    tokenizer: Tokenizer,
    folder: Path,
    out: Path,
    out_type: str,
    name: str,
    progress: StageFn | None = None,
) -> None:
    """Write ``out`` (an F32/F16/BF16 GGUF) via ``.out.partial`` in the same folder; never half a file."""
    np_type, ggml_type, file_type = FLOAT_DTYPES[out_type]
    planned = plan(cfg, weights)
    temp = out.with_name(f".{out.name}.partial")
    try:
        writer = GGUFWriter(str(temp), cfg.family)
        _add_metadata(writer, cfg, tokenizer, folder, name, int(file_type))
        for p in planned:
            is_matrix = len(p.shape) == 2
            dtype = np.dtype(np_type if is_matrix else np.float32)
            nbytes = int(np.prod(p.shape)) * dtype.itemsize
            writer.add_tensor_info(p.name, p.shape, dtype, nbytes, ggml_type if is_matrix else GGMLQuantizationType.F32)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        align = writer.data_alignment
        writer.close()
        with temp.open("ab") as fh:  # tensor data, chunk by chunk, at the offsets the header announced
            for k, p in enumerate(planned):
                fh.write(bytes(-fh.tell() % align))
                for a, b in p.chunks():
                    _encode(p.rows(a, b), out_type if len(p.shape) == 2 else "F32").tofile(fh)
                fh.write(bytes(-fh.tell() % align))
                if progress:
                    progress("writing", (k + 1) / len(planned))
        commit_temp(temp, out)
    except OSError as exc:
        reason = disk_reason(exc, out.parent)  # before the partial file frees the space
        remove_quietly(temp)
        raise ConvertError("convert.cannot_write", path=out, reason=reason) from None
    except BaseException:
        remove_quietly(temp)
        raise


def _add_metadata(writer: GGUFWriter, cfg: ModelConfig, tokenizer: Tokenizer, folder: Path, name: str, file_type: int) -> None:
    """The hyperparameters and the tokenizer: everything but the tensors."""
    writer.add_name(name)
    writer.add_context_length(cfg.n_ctx)
    writer.add_embedding_length(cfg.n_embd)
    writer.add_feed_forward_length(cfg.n_ff)
    writer.add_block_count(cfg.n_layer)
    writer.add_head_count(cfg.n_head)
    writer.add_head_count_kv(cfg.n_head_kv)
    writer.add_layer_norm_rms_eps(cfg.rms_eps)
    writer.add_rope_dimension_count(cfg.head_dim)
    writer.add_rope_freq_base(cfg.rope_theta)
    writer.add_vocab_size(cfg.n_vocab)
    writer.add_file_type(file_type)
    if isinstance(tokenizer, BpeVocab):
        _add_bpe(writer, tokenizer, cfg.n_vocab)
    else:
        _add_sentencepiece(writer, tokenizer, cfg.n_vocab)
    template = chat_template(folder)
    if template:
        writer.add_chat_template(template)
    family = reverse_template(folder)
    if family:
        writer.add_string(REVERSE_TEMPLATE_KEY, family)


def _add_sentencepiece(writer: GGUFWriter, sp: SentencePieceModel, n_vocab: int) -> None:
    tokens, scores, types = _vocab(sp, n_vocab)
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(sp.unk_id)
    writer.add_bos_token_id(sp.bos_id)
    writer.add_eos_token_id(sp.eos_id)
    if sp.pad_id >= 0:
        writer.add_pad_token_id(sp.pad_id)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_add_space_prefix(sp.add_dummy_prefix)


def _add_bpe(writer: GGUFWriter, bpe: BpeVocab, n_vocab: int) -> None:
    if len(bpe.tokens) > n_vocab:
        raise ConvertError("convert.vocab_mismatch", pieces=len(bpe.tokens), n_vocab=n_vocab)
    pad = range(len(bpe.tokens), n_vocab)  # to the embedding's rows, as llama.cpp's converter does
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(bpe.tokens + [f"[PAD{i}]" for i in pad])
    writer.add_token_types(bpe.types + [UNUSED] * len(pad))
    writer.add_token_merges(bpe.merges)
    if bpe.bos_id is not None:
        writer.add_bos_token_id(bpe.bos_id)
    writer.add_eos_token_id(bpe.eos_id)
    if bpe.pad_id is not None:
        writer.add_pad_token_id(bpe.pad_id)
    writer.add_add_bos_token(bpe.add_bos)


def write_vocab_gguf(cfg: ModelConfig, tokenizer: Tokenizer, folder: Path, out: Path) -> Path:
    """A GGUF with the checkpoint's tokenizer and hyperparameters but no tensors: llama.cpp loads it with
    ``vocab_only`` and tokenizes exactly as it will once the whole model is converted (the trainer's
    tokens)."""
    temp = out.with_name(f".{out.name}.partial")
    try:
        writer = GGUFWriter(str(temp), cfg.family)
        _add_metadata(writer, cfg, tokenizer, folder, cfg.name, 0)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        align = writer.data_alignment
        writer.close()
        with temp.open("ab") as fh:  # the (empty) data section starts aligned, as readers expect
            fh.write(bytes(-fh.tell() % align))
        commit_temp(temp, out)
    except OSError as exc:
        remove_quietly(temp)
        raise ConvertError("convert.cannot_write", path=out, reason=disk_reason(exc, out.parent)) from None
    return out


def _encode(block: np.ndarray, out_type: str) -> np.ndarray:
    if out_type == "BF16":
        return np.ascontiguousarray(gguf_quantize(block, GGMLQuantizationType.BF16))
    return np.ascontiguousarray(block, dtype=FLOAT_DTYPES[out_type][0])


def disk_reason(exc: OSError, folder: Path | None = None) -> Message:
    """A user's words for a write failure (numpy's short writes carry no errno: look at the free space)."""
    if exc.errno is None and folder is not None and free_bytes(folder) < 1 << 20:
        return Message("os.disk_full")
    return describe_os_error(exc)


def free_bytes(folder: Path) -> int:
    try:
        st = os.statvfs(folder)
        return st.f_bavail * st.f_frsize
    except (OSError, AttributeError):  # statvfs: not on Windows
        return 1 << 40
