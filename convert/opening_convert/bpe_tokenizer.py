"""Read a byte-level BPE ``tokenizer.json`` (Qwen2's) for a GGUF ``gpt2`` tokenizer, without transformers
or tokenizers installed: the tokens in id order (added tokens included; special ones are control tokens,
holes are unused), the merges as ``"a b"`` strings, and the bos/eos/pad tokens and ``add_bos_token`` from
``tokenizer_config.json``. llama.cpp then splits text with its ``qwen2`` pre-tokenizer, the same regex as
the tokenizer.json's, so both give the same ids (tests/test_convert.py checks it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opening.base.checks import regular_file
from opening.base.errors import describe_os_error
from opening.base.messages import Message

from .errors import ConvertError

NORMAL, CONTROL, USER_DEFINED, UNUSED = 1, 3, 4, 5


@dataclass
class BpeVocab:
    tokens: list[str] = field(default_factory=list)
    types: list[int] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    bos_id: int | None = None
    eos_id: int = 0
    pad_id: int | None = None
    add_bos: bool = False

    @property
    def pieces(self) -> list[str]:
        return self.tokens


def _json(path: Path) -> Any:
    regular_file(path, path.name, ConvertError)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConvertError("path.cannot_read", path=path, reason=describe_os_error(exc)) from None
    except (ValueError, RecursionError) as exc:
        raise ConvertError("path.cannot_read", path=path, reason=Message.verbatim(str(exc)[:200])) from None


def _byte_level(pre: Any) -> bool:
    if not isinstance(pre, dict):
        return False
    if pre.get("type") == "ByteLevel":
        return True
    return pre.get("type") == "Sequence" and any(_byte_level(p) for p in pre.get("pretokenizers") or [])


def _content(value: Any) -> str | None:
    """A special token as tokenizer_config.json writes it: a string, or an object with ``content``."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


def read_bpe(folder: Path) -> BpeVocab:
    path = folder / "tokenizer.json"
    data = _json(path)
    model = data.get("model") if isinstance(data, dict) else None
    if not isinstance(model, dict) or model.get("type") != "BPE":
        raise ConvertError("convert.bpe_unsupported", path=path, detail="model.type is not BPE")
    if not _byte_level(data.get("pre_tokenizer")):
        raise ConvertError("convert.bpe_unsupported", path=path, detail="no ByteLevel pre-tokenizer")
    vocab, merges = model.get("vocab"), model.get("merges")
    if not isinstance(vocab, dict) or not isinstance(merges, list):
        raise ConvertError("convert.bpe_unsupported", path=path, detail="model.vocab or model.merges missing")
    ids: dict[int, tuple[str, int]] = {}
    for text, i in vocab.items():
        if isinstance(i, int) and i >= 0:
            ids[i] = (text, NORMAL)
    for added in data.get("added_tokens") or []:
        if isinstance(added, dict) and isinstance(added.get("id"), int) and isinstance(added.get("content"), str):
            ids[added["id"]] = (added["content"], CONTROL if added.get("special") else USER_DEFINED)
    if not ids:
        raise ConvertError("convert.bpe_unsupported", path=path, detail="an empty vocabulary")
    out = BpeVocab()
    for i in range(max(ids) + 1):
        text, kind = ids.get(i, (f"[PAD{i}]", UNUSED))
        out.tokens.append(text)
        out.types.append(kind)
    for m in merges:
        if isinstance(m, str):
            out.merges.append(m)
        elif isinstance(m, list) and len(m) == 2 and all(isinstance(x, str) for x in m):
            out.merges.append(f"{m[0]} {m[1]}")
        else:
            raise ConvertError("convert.bpe_unsupported", path=path, detail=f"a merge {m!r}")
    config_path = folder / "tokenizer_config.json"
    config = _json(config_path) if config_path.is_file() else {}
    config = config if isinstance(config, dict) else {}
    index = {t: i for i, t in enumerate(out.tokens)}

    def token_id(key: str, fallback: str | None = None) -> int | None:
        text = _content(config.get(key)) or fallback
        return index.get(text) if text is not None else None

    eos = token_id("eos_token", "<|endoftext|>")
    if eos is None:
        raise ConvertError("convert.bpe_no_eos", path=config_path if config_path.is_file() else path)
    out.eos_id, out.bos_id, out.pad_id = eos, token_id("bos_token"), token_id("pad_token")
    out.add_bos = config.get("add_bos_token") is True and out.bos_id is not None
    return out
