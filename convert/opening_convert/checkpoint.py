"""A Hugging Face checkpoint folder: its config, its weight files, and tensors by name (streamed)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConvertError
from .safetensors_reader import SafetensorsFile

log = logging.getLogger(__name__)

BAICHUAN = ("BaichuanForCausalLM", "BaiChuanForCausalLM")
LLAMA = ("LlamaForCausalLM",)


@dataclass(frozen=True)
class ModelConfig:
    family: str
    """``baichuan`` or ``llama``."""
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


def read_config(folder: Path) -> ModelConfig:
    if not folder.is_dir():
        raise ConvertError(f"{folder} is not a folder: give the checkpoint folder (with config.json)")
    path = folder / "config.json"
    if not path.is_file():
        raise ConvertError(f"{folder} has no config.json: is it a Hugging Face checkpoint folder?")
    try:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConvertError(f"cannot read {path}: {exc}") from None
    archs = raw.get("architectures") or []
    if any(a in BAICHUAN for a in archs):
        family = "baichuan"
    elif any(a in LLAMA for a in archs):
        family = "llama"
    else:
        raise ConvertError(
            f"unsupported architecture {', '.join(archs) or '(none given)'} in {path}: this converter handles"
            " Baichuan-7B (BaichuanForCausalLM) and Llama (LlamaForCausalLM) checkpoints"
        )
    try:
        n_embd, n_head, n_layer = int(raw["hidden_size"]), int(raw["num_attention_heads"]), int(raw["num_hidden_layers"])
        n_ff, n_vocab = int(raw["intermediate_size"]), int(raw["vocab_size"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConvertError(f"{path} lacks a size the converter needs ({exc})") from None
    if family == "baichuan" and n_layer != 32:
        raise ConvertError(
            f"{path}: {n_layer} layers — llama.cpp runs Baichuan with RoPE only at 32 layers (7B);"
            " 40 layers (13B) uses ALiBi, which this converter does not handle"
        )
    name_hint = str(raw.get("_name_or_path", "")) + " " + str(raw.get("auto_map", ""))
    return ModelConfig(
        family=family, n_embd=n_embd, n_ff=n_ff, n_head=n_head,
        n_head_kv=int(raw.get("num_key_value_heads") or n_head), n_layer=n_layer, n_vocab=n_vocab,
        n_ctx=int(raw.get("max_position_embeddings") or raw.get("model_max_length") or 4096),
        rms_eps=float(raw.get("rms_norm_eps", 1e-6)), rope_theta=float(raw.get("rope_theta", 10000.0)),
        tie_embeddings=bool(raw.get("tie_word_embeddings", False)),
        norm_head=family == "baichuan" and (n_vocab == 125696 or "baichuan2" in name_hint.lower()),
        name=folder.name,
    )


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
            raise ConvertError(f"{folder} has no weights (*.safetensors or pytorch_model*.bin)")

    def _add(self, st: SafetensorsFile) -> None:
        self._files.append(st)
        for name in st.tensors:
            self._where[name] = st

    def _from_index(self, index: Path) -> None:
        try:
            weight_map: dict[str, str] = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        except (OSError, ValueError, KeyError) as exc:
            raise ConvertError(f"cannot read the shard index {index.name}: {exc}") from None
        for shard in sorted(set(weight_map.values())):
            path = self.folder / shard
            if not path.is_file():
                raise ConvertError(f"shard {shard} listed in {index.name} is missing from {self.folder}")
            self._add(SafetensorsFile(path))
        missing = [n for n in weight_map if n not in self._where]
        if missing:
            raise ConvertError(f"{index.name} lists {missing[0]}, which none of the shards holds")

    def _from_torch(self, bins: list[Path]) -> None:
        try:
            import torch
        except ImportError:
            raise ConvertError(
                f"{self.folder} holds PyTorch .bin weights; reading them safely needs torch (pip install torch),"
                " or convert them to safetensors first. They are never unpickled without torch's weights_only guard."
            ) from None
        for path in bins:
            try:
                state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            except Exception as exc:  # pickle errors, unsafe globals, truncated zip
                raise ConvertError(f"cannot read {path.name} safely: {type(exc).__name__}: {exc}") from None
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
            raise ConvertError(f"the checkpoint has no tensor {name}")
        src = self._where[name]
        if isinstance(src, SafetensorsFile):
            return np.asarray(src.rows(name, start, stop), dtype=np.float32)
        return src[start:stop].float().numpy()

    def close(self) -> None:
        for st in self._files:
            st.close()
