"""A Hugging Face checkpoint folder: its config, its weight files, and tensors by name (streamed)."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from opening.base.checks import inside, regular_file
from opening.base.errors import OpeningError, describe_os_error
from opening.base.messages import Message

from .errors import ConvertError
from .safetensors_reader import SafetensorsFile

log = logging.getLogger(__name__)

BAICHUAN = ("BaichuanForCausalLM", "BaiChuanForCausalLM")
LLAMA = ("LlamaForCausalLM",)
QWEN2 = ("Qwen2ForCausalLM",)


@dataclass(frozen=True)
class ModelConfig:
    family: str
    """``baichuan``, ``llama`` or ``qwen2`` (a Llama with biases on Q, K and V, and a BPE tokenizer)."""
    n_embd: int
    n_ff: int
    n_head: int
    n_head_kv: int
    n_layer: int
    n_vocab: int
    n_ctx: int
    rms_eps: float
    rope_theta: float
    tie_embeddings: bool
    norm_head: bool
    """Baichuan2: lm_head rows are normalised at run time, so the converter normalises them."""
    name: str

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head


def _load_json(path: Path) -> Any:
    regular_file(path, path.name, ConvertError)
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        raise ConvertError("convert.config_deep", path=path) from None
    except OSError as exc:
        raise ConvertError("path.cannot_read", path=path, reason=describe_os_error(exc)) from None
    except ValueError as exc:
        raise ConvertError("path.cannot_read", path=path, reason=Message.verbatim(str(exc))) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _int(raw: dict[str, Any], key: str, path: Path, low: int, high: int, default: int | None = None) -> int:
    value = raw.get(key, default)
    if value is None and default is None:
        raise ConvertError("convert.config_lacks", path=path, key=repr(key))
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConvertError("convert.config_int", path=path, key=key, low=low, high=high, got=repr(value))
    return value


def _float(raw: dict[str, Any], key: str, path: Path, default: float, low: float, high: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low < value <= high:
        raise ConvertError("convert.config_float", path=path, key=key, low=low, high=high, got=repr(value))
    return float(value)


def _rope(raw: dict[str, Any]) -> dict[str, Any]:
    """Where the RoPE base is: ``rope_theta`` at the top, or (transformers 5) inside ``rope_parameters``."""
    nested = raw.get("rope_parameters")
    if "rope_theta" not in raw and isinstance(nested, dict) and "rope_theta" in nested:
        return nested
    return raw


def read_config(folder: Path) -> ModelConfig:
    """config.json checked against what the converter needs: types, ranges, and sizes that divide."""
    try:
        is_folder = folder.is_dir()
    except OSError as exc:
        raise ConvertError("convert.cannot_use", folder=folder, reason=describe_os_error(exc)) from None
    if not is_folder:
        raise ConvertError("convert.not_folder", folder=folder)
    path = folder / "config.json"
    if not path.exists():
        raise ConvertError("convert.no_config", folder=folder)
    raw = _load_json(path)
    if not isinstance(raw, dict):
        raise ConvertError("convert.config_not_object", path=path)
    archs = raw.get("architectures") or []
    if not isinstance(archs, list) or not all(isinstance(a, str) for a in archs):
        raise ConvertError("convert.config_archs", path=path)
    if any(a in BAICHUAN for a in archs):
        family = "baichuan"
    elif any(a in LLAMA for a in archs):
        family = "llama"
    elif any(a in QWEN2 for a in archs):
        family = "qwen2"
    else:
        raise ConvertError("convert.unsupported_arch", archs=", ".join(archs) or "-", path=path)
    n_embd = _int(raw, "hidden_size", path, 1, 1 << 20)
    n_head = _int(raw, "num_attention_heads", path, 1, 1 << 14)
    n_layer = _int(raw, "num_hidden_layers", path, 1, 4095)
    n_ff = _int(raw, "intermediate_size", path, 1, 1 << 22)
    n_vocab = _int(raw, "vocab_size", path, 1, 1 << 24)
    n_head_kv = (
        _int(raw, "num_key_value_heads", path, 1, n_head, default=n_head)
        if raw.get("num_key_value_heads") is not None
        else n_head
    )
    n_ctx = _int(
        raw, "max_position_embeddings", path, 1, 1 << 24, default=_int(raw, "model_max_length", path, 1, 1 << 40, default=4096)
    )
    if n_embd % n_head or (n_embd // n_head) % 2:
        raise ConvertError("convert.heads", path=path, n_embd=n_embd, n_head=n_head)
    if n_head % n_head_kv:
        raise ConvertError("convert.kv_heads", path=path, n_head=n_head, n_head_kv=n_head_kv)
    if family == "baichuan" and n_layer != 32:
        raise ConvertError("convert.baichuan_layers", path=path, n_layer=n_layer)
    name_hint = str(raw.get("_name_or_path", "")) + " " + str(raw.get("auto_map", ""))
    return ModelConfig(
        family=family,
        n_embd=n_embd,
        n_ff=n_ff,
        n_head=n_head,
        n_head_kv=n_head_kv,
        n_layer=n_layer,
        n_vocab=n_vocab,
        n_ctx=min(n_ctx, 1 << 24),
        rms_eps=_float(raw, "rms_norm_eps", path, 1e-6, 0.0, 1.0),
        rope_theta=_float(_rope(raw), "rope_theta", path, 10000.0, 0.0, 1e12),
        tie_embeddings=raw.get("tie_word_embeddings", False) is True,
        norm_head=family == "baichuan" and (n_vocab == 125696 or "baichuan2" in name_hint.lower()),
        name=folder.name,
    )


def input_files(folder: Path) -> list[Path]:
    """Every file the converter reads from ``folder`` (an output must never be one of them)."""
    names = ["config.json", "tokenizer.model", "tokenizer.json", "tokenizer_config.json", "model.safetensors.index.json"]
    found = [folder / n for n in names if (folder / n).exists()]
    return found + sorted(folder.glob("*.safetensors")) + sorted(folder.glob("pytorch_model*.bin"))


class Weights:
    """Tensors of a checkpoint by name, from one or many safetensors files (or .bin through torch)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._where: dict[str, Any] = {}
        self._files: list[SafetensorsFile] = []
        safetensors = sorted(folder.glob("*.safetensors"))
        bins = sorted(folder.glob("pytorch_model*.bin"))
        index = folder / "model.safetensors.index.json"
        if index.is_file():
            self._from_index(index)
        elif safetensors:
            for path in safetensors:
                self._add(SafetensorsFile(path))
        elif bins:
            self._from_torch(bins)
        else:
            raise ConvertError("convert.no_weights", folder=folder)

    def _add(self, st: SafetensorsFile) -> None:
        self._files.append(st)
        for name in st.tensors:
            self._where[name] = st

    def _from_index(self, index: Path) -> None:
        raw = _load_json(index)
        weight_map = raw.get("weight_map") if isinstance(raw, dict) else None
        if not isinstance(weight_map, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in weight_map.items()):
            raise ConvertError("convert.no_weight_map", name=index.name)
        for shard in sorted(set(weight_map.values())):
            try:
                path = inside(self.folder, shard, Message("what.shard", {"shard": repr(shard), "index": index.name}))
            except OpeningError as exc:
                raise ConvertError(exc.message) from None
            if not path.is_file():
                raise ConvertError("convert.shard_missing", shard=shard, index=index.name, folder=self.folder)
            self._add(SafetensorsFile(path))
        missing = [n for n in weight_map if n not in self._where]
        if missing:
            raise ConvertError("convert.tensor_unplaced", index=index.name, name=missing[0])

    def _from_torch(self, bins: list[Path]) -> None:
        try:
            import torch
        except ImportError:
            raise ConvertError("convert.needs_torch", folder=self.folder) from None
        for path in bins:
            try:
                state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            except Exception as exc:  # pickle errors, unsafe globals, truncated zip
                raise ConvertError("convert.bin_unsafe", name=path.name, detail=f"{type(exc).__name__}: {exc}") from None
            for name, tensor in state.items():
                self._where[name] = tensor

    def has(self, name: str) -> bool:
        return name in self._where

    def shape(self, name: str) -> tuple[int, ...]:
        src = self._where[name]
        return src.tensors[name].shape if isinstance(src, SafetensorsFile) else tuple(src.shape)

    def rows(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` (first axis) as float32: a fresh copy, so memory stays flat."""
        if name not in self._where:
            raise ConvertError("convert.no_tensor", name=name)
        src = self._where[name]
        if isinstance(src, SafetensorsFile):
            return np.asarray(src.rows(name, start, stop), dtype=np.float32)
        return src[start:stop].float().numpy()

    def close(self) -> None:
        for st in self._files:
            st.close()
