"""Tiny random Hugging Face checkpoints (Baichuan-7B-shaped or Llama), written by the tests themselves,
and a float64 numpy reference forward pass of the HF model to check conversions against."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EN = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Write a short poem about the moon and the quiet sea.",
    "Classify the emotion of the sentence: she smiled and felt happy.",
    "In this task you are given a context and a question about a story.",
    "A small horse carried half a bag of wheat to the mill across the stream.",
    "Summarise the paragraph in one sentence for a busy reader.",
    "Translate the following text from English into Chinese, please.",
    "Instruction tuning turns a base model into a helpful assistant.",
]
ZH = [
    "老马让小马把半口袋麦子驮到磨坊去。",
    "途中遇到一条小河，小马询问老牛能不能过河。",
    "老牛说：水很浅，刚没小腿，能过去。",
    "松鼠却阻拦说：河水深得很哩！",
    "请根据给定的文章生成一个合适的标题。",
    "判断下面句子的情感是积极还是消极。",
    "指令微调数据的质量取决于输出的可靠性。",
    "本工具将用户输入的文本作为输出回复，生成对应的输入指令。",
]
PROBES = [
    "happy",
    "Write a story about 小马过河 in 3 sentences.",
    "老马让小马把半口袋麦子驮到磨坊去。The pony asked the old ox.",
]


def training_lines(n: int = 400) -> list[str]:
    rng = np.random.default_rng(0)
    lines = []
    for i in range(n):
        en, zh = EN[rng.integers(len(EN))], ZH[rng.integers(len(ZH))]
        lines.append(f"{en} {zh}" if i % 3 else f"{zh}{en} {i}")
    return lines


def train_tokenizer(folder: Path, vocab_size: int = 600) -> Path:
    import sentencepiece as spm

    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(training_lines()) + "\n", encoding="utf-8")
    prefix = folder / "tokenizer"
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(prefix), vocab_size=vocab_size, model_type="bpe",
        character_coverage=1.0, byte_fallback=True, normalization_rule_name="identity",
        bos_id=1, eos_id=2, unk_id=0, pad_id=-1, minloglevel=2,
    )
    corpus.unlink()
    (folder / "tokenizer.vocab").unlink(missing_ok=True)
    return folder / "tokenizer.model"


QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
"""Qwen2's pre-tokenizer split, as its tokenizer.json has it (llama.cpp's ``qwen2`` pre-tokenizer)."""
QWEN2_THETA = 1_000_000.0


def train_bpe_tokenizer(folder: Path, vocab_size: int = 600) -> Path:
    """A byte-level BPE tokenizer.json built like Qwen2's (regex split, then bytes), with its special tokens."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(training_lines(), trainer)
    tok.save(str(folder / "tokenizer.json"))
    config = {"eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "bos_token": None, "add_bos_token": False}
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder / "tokenizer.json"


@dataclass(frozen=True)
class Shape:
    family: str = "baichuan"
    n_embd: int = 256
    n_ff: int = 512
    n_head: int = 4
    n_head_kv: int = 4
    n_layer: int = 32
    n_vocab: int = 608
    """A little more than the tokenizer's pieces: the converter pads the token list."""


def make_weights(shape: Shape, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    e, ff, v = shape.n_embd, shape.n_ff, shape.n_vocab
    kv = shape.n_head_kv * (e // shape.n_head)

    def mat(rows: int, cols: int, scale: float) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * scale).astype(np.float32)

    def norm() -> np.ndarray:
        return (1.0 + 0.1 * rng.standard_normal(e)).astype(np.float32)

    w: dict[str, np.ndarray] = {"model.embed_tokens.weight": mat(v, e, 1.0)}
    for i in range(shape.n_layer):
        p = f"model.layers.{i}"
        w[f"{p}.input_layernorm.weight"] = norm()
        if shape.family == "baichuan":
            w[f"{p}.self_attn.W_pack.weight"] = mat(3 * e, e, 0.08)
        else:
            w[f"{p}.self_attn.q_proj.weight"] = mat(e, e, 0.08)
            w[f"{p}.self_attn.k_proj.weight"] = mat(kv, e, 0.08)
            w[f"{p}.self_attn.v_proj.weight"] = mat(kv, e, 0.08)
        if shape.family == "qwen2":
            for x, n in (("q", e), ("k", kv), ("v", kv)):
                w[f"{p}.self_attn.{x}_proj.bias"] = (rng.standard_normal(n) * 0.3).astype(np.float32)
        w[f"{p}.self_attn.o_proj.weight"] = mat(e, e, 0.02)
        w[f"{p}.post_attention_layernorm.weight"] = norm()
        w[f"{p}.mlp.gate_proj.weight"] = mat(ff, e, 0.06)
        w[f"{p}.mlp.up_proj.weight"] = mat(ff, e, 0.06)
        w[f"{p}.mlp.down_proj.weight"] = mat(e, ff, 0.02)
    w["model.norm.weight"] = norm()
    w["lm_head.weight"] = mat(v, e, 0.15)
    return w


def write_safetensors(path: Path, tensors: dict[str, np.ndarray], dtype: str = "F32") -> None:
    """A safetensors file by hand (F32, F16 or BF16), so tests need neither torch nor safetensors."""
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        if dtype == "BF16":
            blob = (np.ascontiguousarray(arr, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16).tobytes()
        else:
            blob = np.ascontiguousarray(arr, dtype=np.float16 if dtype == "F16" else np.float32).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        for blob in blobs:
            fh.write(blob)


def make_checkpoint(folder: Path, shape: Shape = Shape(), *, shards: int = 1, tokenizer: Path | None = None,
                    dtype: str = "F32") -> dict[str, np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    arch = {"baichuan": "BaichuanForCausalLM", "qwen2": "Qwen2ForCausalLM"}.get(shape.family, "LlamaForCausalLM")
    config = {
        "architectures": [arch], "hidden_size": shape.n_embd, "intermediate_size": shape.n_ff,
        "num_attention_heads": shape.n_head, "num_hidden_layers": shape.n_layer, "vocab_size": shape.n_vocab,
        "rms_norm_eps": 1e-6, "max_position_embeddings": 512, "model_type": shape.family,
    }
    if shape.family in ("llama", "qwen2"):
        config["num_key_value_heads"] = shape.n_head_kv
    if shape.family == "qwen2":
        config.update(rope_theta=QWEN2_THETA, tie_word_embeddings=False)
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    if shape.family == "qwen2":
        train_bpe_tokenizer(folder)
    elif tokenizer is None:
        train_tokenizer(folder)
    else:
        (folder / "tokenizer.model").write_bytes(tokenizer.read_bytes())
    weights = make_weights(shape)
    if dtype != "F32":  # the reference must see what the file holds
        weights = {k: _round(v, dtype) for k, v in weights.items()}
    names = list(weights)
    if shards == 1:
        write_safetensors(folder / "model.safetensors", weights, dtype)
    else:
        weight_map = {}
        for s, part in enumerate(np.array_split(np.arange(len(names)), shards)):
            shard = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            write_safetensors(folder / shard, {names[i]: weights[names[i]] for i in part}, dtype)
            weight_map.update({names[i]: shard for i in part})
        (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}), encoding="utf-8")
    return weights


def _round(arr: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "F16":
        return arr.astype(np.float16).astype(np.float32)
    return ((arr.view(np.uint32) >> 16) << 16).view(np.float32)


def reference_logits(weights: dict[str, np.ndarray], shape: Shape, tokens: list[int], theta: float = 10000.0,
                     eps: float = 1e-6) -> np.ndarray:
    """The HF model's forward pass in float64: RMSNorm, W_pack (or q/k/v, with Qwen2's biases), rotate-half
    RoPE, causal softmax attention, SwiGLU MLP."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    e, nh, nkv = shape.n_embd, shape.n_head, shape.n_head_kv
    hd = e // nh
    n = len(tokens)

    def rms(x: np.ndarray, g: np.ndarray) -> np.ndarray:
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g

    inv = 1.0 / theta ** (np.arange(0, hd, 2) / hd)
    ang = np.outer(np.arange(n), inv)
    cos, sin = np.cos(np.concatenate([ang, ang], -1)), np.sin(np.concatenate([ang, ang], -1))

    def rope(x: np.ndarray) -> np.ndarray:  # (heads, n, hd)
        half = hd // 2
        rotated = np.concatenate([-x[..., half:], x[..., :half]], -1)
        return x * cos + rotated * sin

    x = w["model.embed_tokens.weight"][tokens]
    mask = np.triu(np.full((n, n), -np.inf), 1)
    for i in range(shape.n_layer):
        p = f"model.layers.{i}"
        h = rms(x, w[f"{p}.input_layernorm.weight"])
        if shape.family == "baichuan":
            qkv = h @ w[f"{p}.self_attn.W_pack.weight"].T
            q, k, v = qkv[:, :e], qkv[:, e:2 * e], qkv[:, 2 * e:]
        else:
            q = h @ w[f"{p}.self_attn.q_proj.weight"].T + w.get(f"{p}.self_attn.q_proj.bias", 0.0)
            k = h @ w[f"{p}.self_attn.k_proj.weight"].T + w.get(f"{p}.self_attn.k_proj.bias", 0.0)
            v = h @ w[f"{p}.self_attn.v_proj.weight"].T + w.get(f"{p}.self_attn.v_proj.bias", 0.0)
        q = rope(q.reshape(n, nh, hd).transpose(1, 0, 2))
        k = rope(k.reshape(n, nkv, hd).transpose(1, 0, 2))
        v = v.reshape(n, nkv, hd).transpose(1, 0, 2)
        k, v = np.repeat(k, nh // nkv, 0), np.repeat(v, nh // nkv, 0)
        att = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        o = (att @ v).transpose(1, 0, 2).reshape(n, e)
        x = x + o @ w[f"{p}.self_attn.o_proj.weight"].T
        h = rms(x, w[f"{p}.post_attention_layernorm.weight"])
        gate = h @ w[f"{p}.mlp.gate_proj.weight"].T
        up = h @ w[f"{p}.mlp.up_proj.weight"].T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ w[f"{p}.mlp.down_proj.weight"].T
    return rms(x, w["model.norm.weight"]) @ w["lm_head.weight"].T
