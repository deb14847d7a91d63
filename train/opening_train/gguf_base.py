"""A GGUF the user already has as the base of a run: ``opening-train fit --base MODEL.gguf``.

The file is checked from its header before anything is loaded (an architecture the trainer cannot train
and write back is refused at once, with the reason); its shapes give the memory plan. Then, inside the run
folder, transformers' GGUF loader dequantizes the weights to float32 and they are written once as the
checkpoint the trainer and the converter read (``RUN/base/``; a resumed run reuses it). The tokenizer must
survive that trip exactly: llama.cpp's tokenizer of the GGUF and of the checkpoint as the converter will
write it give the same ids for a probe of English, Chinese, code and the chat markers, the same EOS and the
same chat template, or the base is refused, saying what differed. So the generator is trained on, and
written with, the base's own tokenizer.

After training, :func:`write_generator` turns the run into ``RUN/<base>-opening.<TYPE>.gguf`` through
``opening-convert``, marked as a reverse generator of the raw ``opening`` templates (what ``opening-train
data`` writes), so ``opening generate --model`` samples it with the prompts it was trained on.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from opening.base.errors import BadInput, ModelError, OpeningError, describe_os_error
from opening.models.gguf_file import GGUFInfo, inspect_gguf
from opening_convert.checkpoint import ModelConfig
from opening_convert.gguf_export import GENERATOR_MARK

log = logging.getLogger(__name__)

ARCHITECTURES = ("qwen2",)
"""What transformers dequantizes and opening-convert writes back with an identical tokenizer."""
BASE_FOLDER = "base"
UNPACKED = "opening-gguf-base.json"
"""Written last into ``RUN/base/``: the checkpoint there is whole (a kill mid-write leaves no such file)."""
UNUSED = 5
"""llama.cpp's token type of a padding row (``LLAMA_TOKEN_TYPE_UNUSED``)."""
PROBE = (
    "Tell me a story about a little horse crossing a river. 给我讲个小马过河的故事。\n"
    "def add(a, b):\n    return a + b  # 1,234.5 ½ 👍\n<|im_start|>user\n你好<|im_end|>"
)


def is_gguf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return path.is_file() and fh.read(4) == b"GGUF"
    except OSError:
        return False


def check_gguf_base(path: Path) -> GGUFInfo:
    """The header, read without loading weights; BadInput when this GGUF cannot be a base."""
    try:
        info = inspect_gguf(path)
    except OpeningError as exc:
        raise BadInput("train.base_refused", folder=path, reason=exc.message) from None
    if info.architecture not in ARCHITECTURES:
        raise BadInput("train.gguf_base_arch", path=path, arch=info.architecture or "?", known=", ".join(ARCHITECTURES))
    if info.metadata.get("tokenizer.ggml.model") != "gpt2" or info.metadata.get("tokenizer.ggml.pre") != "qwen2":
        detail = f"{info.metadata.get('tokenizer.ggml.model')}/{info.metadata.get('tokenizer.ggml.pre')}"
        raise BadInput("train.gguf_base_tokenizer", path=path, detail=detail)
    return info


def config_of(info: GGUFInfo) -> ModelConfig:
    """The base's shapes from its header (the memory plan runs before anything is loaded)."""
    n_embd, n_head = int(info.arch_value("embedding_length")), int(info.arch_value("attention.head_count"))
    tokens = info.metadata.get("tokenizer.ggml.tokens")
    embed = next((t for t in info.tensors if t.name == "token_embd.weight"), None)
    return ModelConfig(
        family=info.architecture,
        n_embd=n_embd,
        n_ff=int(info.arch_value("feed_forward_length")),
        n_head=n_head,
        n_head_kv=int(info.arch_value("attention.head_count_kv", n_head)),
        n_layer=int(info.arch_value("block_count")),
        n_vocab=embed.shape[1] if embed is not None else len(tokens) if isinstance(tokens, list) else 0,
        n_ctx=int(info.context_length or 2048),
        rms_eps=float(info.arch_value("attention.layer_norm_rms_epsilon", 1e-6)),
        rope_theta=float(info.arch_value("rope.freq_base", 10000.0)),
        tie_embeddings=not any(t.name == "output.weight" for t in info.tensors),
        norm_head=False,
        name=info.name,
    )


def unpack(path: Path, info: GGUFInfo, folder: Path) -> Path:
    """``folder`` as a float32 checkpoint of the GGUF at ``path`` (reused when a resumed run made it whole)."""
    if (folder / UNPACKED).is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)  # an unpacking cut short
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    except (ValueError, KeyError, NotImplementedError, RuntimeError, OSError) as exc:
        raise BadInput("train.gguf_unloadable", path=path, detail=str(exc).splitlines()[0][:200]) from None
    try:
        folder.mkdir(parents=True)
        _save_float(model, folder)
        tokenizer.save_pretrained(folder)
        vocab = _vocab_arrays(path)
        _drop_padding(folder, vocab)
        _set_chat_template(folder, info.chat_template)
        same_tokenizer(path, vocab, folder)
        (folder / UNPACKED).write_text(json.dumps({"gguf": str(path), "architecture": info.architecture}) + "\n")
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise BadInput("path.cannot_write", path=folder, reason=describe_os_error(exc)) from None
    except BadInput:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def _save_float(model: Any, folder: Path) -> None:
    """config.json and model.safetensors as a plain float32 checkpoint (transformers refuses to save a
    model its GGUF loader made: the weights are written here as they are held)."""
    from safetensors.torch import save_file

    state = model.state_dict()
    config = model.config.to_dict()
    config.pop("quantization_config", None)
    config["architectures"] = [type(model).__name__]
    if config.get("tie_word_embeddings"):
        state.pop("lm_head.weight", None)  # one tensor, named once (safetensors keeps no aliases)
    save_file(
        {k: v.detach().contiguous() for k, v in state.items()}, str(folder / "model.safetensors"), metadata={"format": "pt"}
    )
    (folder / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")


def _vocab_arrays(path: Path) -> tuple[list[str], list[int]]:
    """The GGUF's token strings and token types, as llama.cpp reads them."""
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    tokens, types = reader.fields["tokenizer.ggml.tokens"], reader.fields.get("tokenizer.ggml.token_type")
    strings = [bytes(tokens.parts[i]).decode("utf-8", errors="replace") for i in tokens.data]
    kinds = [int(types.parts[i][0]) for i in types.data] if types is not None else [1] * len(strings)
    return strings, kinds


def _drop_padding(folder: Path, vocab: tuple[list[str], list[int]]) -> None:
    """transformers lists the GGUF's trailing padding rows (``[PAD151665]``…, type unused) as ordinary
    tokens; the converter pads the embedding again itself, as unused. Take them out of tokenizer.json."""
    strings, kinds = vocab
    end = len(strings)
    while end and kinds[end - 1] == UNUSED:
        end -= 1
    padding = set(strings[end:])
    if not padding:
        return
    path = folder / "tokenizer.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["model"]["vocab"] = {k: v for k, v in data["model"]["vocab"].items() if k not in padding}
    data["added_tokens"] = [t for t in data.get("added_tokens", []) if t.get("content") not in padding]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _set_chat_template(folder: Path, template: str | None) -> None:
    """The GGUF's own chat template, verbatim, where the converter reads it."""
    path = folder / "tokenizer_config.json"
    config = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if template is None:
        config.pop("chat_template", None)
    else:
        config["chat_template"] = template
    path.write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (folder / "chat_template.jinja").unlink(missing_ok=True)


def same_tokenizer(gguf: Path, ours: tuple[list[str], list[int]], folder: Path) -> None:
    """BadInput unless the checkpoint in ``folder``, as the converter writes it, tokenizes like ``gguf``
    (whose token strings and types are ``ours``)."""
    from opening.llama.model import LlamaModel
    from opening_convert.checkpoint import read_config
    from opening_convert.gguf_export import write_vocab_gguf
    from opening_convert.tokenizer_files import read_tokenizer

    cfg = read_config(folder)
    vocab = write_vocab_gguf(cfg, read_tokenizer(folder, cfg.family), folder, folder / ".vocab-check.gguf")
    try:
        with LlamaModel(gguf, vocab_only=True) as a, LlamaModel(vocab, vocab_only=True) as b:
            ids = [m.tokenize(PROBE, add_special=True, parse_special=True) for m in (a, b)]
            theirs = _vocab_arrays(vocab)
            differs = [
                what
                for what, x, y in (
                    ("token strings", ours[0], theirs[0]),
                    ("token types", ours[1], theirs[1]),
                    ("token ids", ids[0], ids[1]),
                    ("EOS", a.eos, b.eos),
                    ("BOS", a.bos, b.bos),
                    ("chat template", a.info.chat_template, b.info.chat_template),
                )
                if x != y
            ]
    except ModelError as exc:
        raise BadInput("train.gguf_tokenizer_differs", path=gguf, detail=str(exc.message)) from None
    finally:
        vocab.unlink(missing_ok=True)
    if differs:
        raise BadInput("train.gguf_tokenizer_differs", path=gguf, detail=", ".join(differs))


def mark_generator(folder: Path, reverse_template: str = "opening") -> None:
    (folder / GENERATOR_MARK).write_text(json.dumps({"reverse_template": reverse_template}) + "\n", encoding="utf-8")


def write_generator(run_folder: Path, base_gguf: Path, out_type: str, threads: int) -> Path:
    """The trained model in ``run_folder`` as a GGUF beside it, ready for ``opening generate --model``."""
    from opening_convert.job import convert

    out = run_folder / f"{base_gguf.stem}-opening.{out_type}.gguf"
    convert(run_folder, out, out_type, name=f"{base_gguf.stem} (OpenING generator)", force=True, threads=threads)
    return out
