"""Read a SentencePiece ``tokenizer.model`` (a protobuf) without protobuf or sentencepiece installed.

Only what a GGUF ``llama`` tokenizer needs: each piece's text, score and type, the normaliser's name,
``add_dummy_prefix`` and the unk/bos/eos/pad ids (field numbers from sentencepiece_model.proto).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from opening.base.checks import regular_file
from opening.base.errors import describe_os_error

from .errors import ConvertError

# SentencePiece piece types
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


@dataclass
class SentencePieceModel:
    pieces: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    types: list[int] = field(default_factory=list)
    normalizer: str = "nmt_nfkc"
    add_dummy_prefix: bool = True
    unk_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    pad_id: int = -1


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield (field number, wire type, value) of one protobuf message."""
    pos = 0
    value: int | bytes
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if pos > len(buf):
            raise ValueError("truncated field")
        yield number, wire, value


def _bytes(value: bytes | int) -> bytes:
    if not isinstance(value, bytes):
        raise ValueError("a field has the wrong wire type")
    return value


def _varint_value(value: bytes | int) -> int:
    if not isinstance(value, int):
        raise ValueError("a field has the wrong wire type")
    return value


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def read_model(path: Path) -> SentencePieceModel:
    regular_file(path, "tokenizer.model", ConvertError)
    try:
        buf = path.read_bytes()
    except OSError as exc:
        raise ConvertError("path.cannot_read", path=path, reason=describe_os_error(exc)) from None
    model = SentencePieceModel()
    try:
        for number, _wire, value in _fields(buf):
            if number == 1:  # repeated SentencePiece
                piece, score, kind = "", 0.0, NORMAL
                for n, w, v in _fields(_bytes(value)):
                    if n == 1:
                        piece = _bytes(v).decode("utf-8")
                    elif n == 2 and w == 5:
                        (score,) = struct.unpack("<f", _bytes(v))
                    elif n == 3:
                        kind = _varint_value(v)
                model.pieces.append(piece)
                model.scores.append(score)
                model.types.append(kind)
            elif number == 2:  # TrainerSpec
                for n, _w, v in _fields(_bytes(value)):
                    if n in (40, 41, 42, 43):
                        setattr(model, {40: "unk_id", 41: "bos_id", 42: "eos_id", 43: "pad_id"}[n], _signed(_varint_value(v)))
            elif number == 3:  # NormalizerSpec
                for n, _w, v in _fields(_bytes(value)):
                    if n == 1:
                        model.normalizer = _bytes(v).decode("utf-8")
                    elif n == 3:
                        model.add_dummy_prefix = bool(_varint_value(v))
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        raise ConvertError("convert.not_sentencepiece", name=path.name, detail=str(exc)) from None
    if not model.pieces:
        raise ConvertError("convert.no_pieces", name=path.name)
    for name in ("unk_id", "bos_id", "eos_id", "pad_id"):
        if not -1 <= getattr(model, name) < len(model.pieces):
            raise ConvertError("convert.bad_special", name=path.name, field=name, value=getattr(model, name), n=len(model.pieces))
    if not all(kind in (NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE) for kind in model.types):
        raise ConvertError("convert.bad_piece_type", name=path.name)
    return model
