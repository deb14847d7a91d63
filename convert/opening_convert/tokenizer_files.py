"""Which tokenizer file a checkpoint family is converted from: SentencePiece ``tokenizer.model`` for
Baichuan and Llama, byte-level BPE ``tokenizer.json`` for Qwen2."""

from __future__ import annotations

from pathlib import Path

from .bpe_tokenizer import BpeVocab, read_bpe
from .errors import ConvertError
from .sentencepiece_model import SentencePieceModel, read_model

Tokenizer = SentencePieceModel | BpeVocab

NEEDS = {"qwen2": "tokenizer.json"}
"""Every other family needs ``tokenizer.model``."""


def read_tokenizer(folder: Path, family: str) -> Tokenizer:
    needed = NEEDS.get(family, "tokenizer.model")
    if not (folder / needed).is_file():
        other = next((n for n in ("tokenizer.model", "tokenizer.json") if n != needed and (folder / n).is_file()), None)
        if other is not None:
            raise ConvertError("convert.tokenizer_family", folder=folder, family=family, needed=needed)
        raise ConvertError("convert.no_tokenizer", folder=folder)
    return read_bpe(folder) if needed == "tokenizer.json" else read_model(folder / needed)
