"""GGUF files are checked before llama.cpp touches them: a clear reason, never a crash."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gguf_factory import write_gguf
from opening.base.errors import ModelError
from opening.models.gguf_file import inspect_gguf


def test_real_model_metadata(smol_path: Path) -> None:
    info = inspect_gguf(smol_path)
    assert info.architecture == "llama"
    assert info.chat_template and "<|im_start|>" in info.chat_template
    assert info.context_length == 8192
    assert info.quantization == "Q4_1"
    assert 130e6 < info.n_params < 140e6
    assert info.summary()["file_size"] == smol_path.stat().st_size


def test_written_model_round_trips(tmp_path: Path) -> None:
    info = inspect_gguf(write_gguf(tmp_path / "t.gguf", tensors=3))
    assert info.architecture == "llama"
    assert [t.name for t in info.tensors] == [f"blk.{i}.ffn_up.weight" for i in range(3)]
    assert info.tensors[0].shape == (32, 64)  # GGUF lists the innermost dimension first


@pytest.mark.parametrize("seed", range(10))
def test_truncated_anywhere_is_refused(tmp_path: Path, smol_path: Path, seed: int) -> None:
    data = smol_path.read_bytes()
    cut = random.Random(seed).randrange(1, len(data) - 1)
    broken = tmp_path / "cut.gguf"
    broken.write_bytes(data[:cut])
    with pytest.raises(ModelError, match="truncated|damaged"):
        inspect_gguf(broken)


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "not a GGUF"),
        (b"GGML" + b"\0" * 64, "not a GGUF"),
        (b"PK\x03\x04 a zip file", "not a GGUF"),
        (b"GGUF\x07\x00\x00\x00" + b"\0" * 16, "unsupported GGUF version 7"),
        (b"GGUF\x03\x00\x00\x00" + b"\xff" * 16, "damaged"),
    ],
)
def test_not_gguf_or_damaged_header(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=fragment):
        inspect_gguf(path)


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_after_a_valid_magic_never_crash(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "noise.gguf"
    path.write_bytes(b"GGUF\x03\x00\x00\x00" + bytes(rng.randrange(256) for _ in range(4096)))
    with pytest.raises(ModelError):
        inspect_gguf(path)


def test_unknown_architecture_is_refused(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "alien.gguf", arch="notarealarch")
    with pytest.raises(ModelError, match="architecture 'notarealarch' is not supported"):
        inspect_gguf(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        inspect_gguf(tmp_path / "nope.gguf")
    with pytest.raises(ModelError, match="folder"):
        inspect_gguf(tmp_path)
