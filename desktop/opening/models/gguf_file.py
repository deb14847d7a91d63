"""Read a GGUF file's header and metadata without loading weights, and refuse bad files early.

llama.cpp is not hardened against every malformed file, so every model passes through
:func:`inspect_gguf` before llama.cpp touches it: wrong magic, truncated headers or tensor data,
unknown tensor types and architectures this llama.cpp does not know are reported with the reason.
The parser bounds every count by the bytes left in the file, so random bytes cannot make it allocate.
"""

from __future__ import annotations

import functools
import math
import os
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from gguf.constants import GGML_QUANT_SIZES, MODEL_ARCH_NAMES, GGMLQuantizationType, LlamaFileType

from opening.base.checks import regular_file
from opening.base.errors import ModelError, describe_os_error

GGUF_MAGIC = b"GGUF"
_SCALARS: dict[int, tuple[str, int]] = {
    0: ("<B", 1),
    1: ("<b", 1),
    2: ("<H", 2),
    3: ("<h", 2),
    4: ("<I", 4),
    5: ("<i", 4),
    6: ("<f", 4),
    7: ("<?", 1),
    10: ("<Q", 8),
    11: ("<q", 8),
    12: ("<d", 8),
}
_STRING, _ARRAY = 8, 9
_U64 = struct.Struct("<Q")
# arrays longer than this are counted, not kept (token lists, merges)
_KEEP_ARRAY_MAX = 64
KNOWN_ARCHITECTURES = frozenset(MODEL_ARCH_NAMES.values())


@dataclass
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int
    nbytes: int

    @property
    def n_elements(self) -> int:
        return math.prod(self.shape)


@dataclass
class GGUFInfo:
    path: Path
    file_size: int
    version: int
    metadata: dict[str, Any]
    tensors: list[TensorInfo] = field(default_factory=list)
    data_offset: int = 0

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name") or self.path.stem)

    def arch_value(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(f"{self.architecture}.{key}", default)

    @property
    def context_length(self) -> int | None:
        value = self.arch_value("context_length")
        return int(value) if value is not None else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value.strip() else None

    @property
    def reverse_template(self) -> str | None:
        """The reverse templates a generator was trained on (``opening.reverse_template``, written by
        ``opening-train``): what ``auto`` picks for it, whatever its chat template."""
        value = self.metadata.get("opening.reverse_template")
        return value if isinstance(value, str) and value else None

    @property
    def n_params(self) -> int:
        return sum(t.n_elements for t in self.tensors)

    @property
    def quantization(self) -> str:
        ftype = self.metadata.get("general.file_type")
        if isinstance(ftype, int):
            try:
                return LlamaFileType(ftype).name.removeprefix("MOSTLY_").removeprefix("ALL_")
            except ValueError:
                pass
        # no file type recorded: name the most common weight type by bytes
        by_type: dict[int, int] = {}
        for t in self.tensors:
            by_type[t.ggml_type] = by_type.get(t.ggml_type, 0) + t.nbytes
        if not by_type:
            return "unknown"
        return GGMLQuantizationType(max(by_type, key=by_type.__getitem__)).name

    def summary(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "name": self.name,
            "architecture": self.architecture,
            "parameters": self.n_params,
            "quantization": self.quantization,
            "context_length": self.context_length,
            "chat_template": self.chat_template is not None,
            "file_size": self.file_size,
        }


def format_params(count: int, *, digits: int = 1) -> str:
    """A parameter count as people say it: ``135M``, ``7.0B``."""
    return f"{count / 1e9:.{digits}f}B" if count >= 1e9 else f"{count / 1e6:.0f}M"


def human_size(n_bytes: int) -> str:
    """A file size in binary units: ``98.2 MB``, ``4.0 GB``."""
    size = float(n_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit in ("B", "KB") else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class _Reader:
    def __init__(self, fh: BinaryIO, size: int, path: Path) -> None:
        self.fh, self.size, self.path = fh, size, path

    def fail(self, message_id: str, **values: object) -> ModelError:
        return ModelError(message_id, path=self.path, **values)

    def take(self, n: int, what: str) -> bytes:
        pos = self.fh.tell()
        if n < 0 or pos + n > self.size:
            raise self.fail("gguf.ends_inside", what=what, at=pos, size=self.size)
        data = self.fh.read(n)
        if len(data) != n:
            raise self.fail("gguf.unreadable", what=what)
        return data

    def scalar(self, vtype: int, what: str) -> Any:
        fmt, size = _SCALARS[vtype]
        return struct.unpack(fmt, self.take(size, what))[0]

    def u32(self, what: str) -> int:
        return self.scalar(4, what)

    def u64(self, what: str) -> int:
        return self.scalar(10, what)

    def string(self, what: str) -> str:
        n = self.u64(what)
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="replace")

    def skip_strings(self, n: int, what: str) -> None:
        """Step over ``n`` strings reading lengths from 1 MB blocks (a 262k-token vocabulary took
        0.55 s string by string)."""
        offset = self.fh.tell()  # file position of the next string's length
        block, block_start = b"", offset
        for _ in range(n):
            rel = offset - block_start
            if rel + 8 > len(block):
                if offset + 8 > self.size:
                    raise self.fail("gguf.ends_inside", what=what, at=offset, size=self.size)
                self.fh.seek(offset)
                block, block_start, rel = self.fh.read(1 << 20), offset, 0
            offset += 8 + _U64.unpack_from(block, rel)[0]
            if offset > self.size:
                raise self.fail("gguf.ends_inside", what=what, at=self.size, size=self.size)
        self.fh.seek(offset)

    def count(self, what: str, min_item_size: int) -> int:
        n = self.u64(what)
        left = self.size - self.fh.tell()
        if n * min_item_size > left:
            raise self.fail("gguf.count_too_big", what=what, n=n, left=left)
        return n

    def value(self, vtype: int, key: str) -> Any:
        if vtype in _SCALARS:
            return self.scalar(vtype, f"value of {key}")
        if vtype == _STRING:
            return self.string(f"value of {key}")
        if vtype == _ARRAY:
            item_type = self.u32(f"array type of {key}")
            if item_type not in _SCALARS and item_type != _STRING:
                raise self.fail("gguf.array_type", key=key, type=item_type)
            item_size = _SCALARS[item_type][1] if item_type in _SCALARS else 8
            n = self.count(f"array {key}", item_size)
            if item_type in _SCALARS and n > _KEEP_ARRAY_MAX:
                self.take(n * item_size, f"array {key}")  # bounded by count()
                return _ArrayStub(n)
            if n > _KEEP_ARRAY_MAX:  # token lists, merges: skipped without decoding each string
                self.skip_strings(n, f"array {key}")
                return _ArrayStub(n)
            items = [self.value(item_type, key) for _ in range(n)]
            return items if n <= _KEEP_ARRAY_MAX else _ArrayStub(n)
        raise self.fail("gguf.value_type", key=key, type=vtype)


@dataclass(frozen=True)
class _ArrayStub:
    """A long array that was skipped; only its length is kept."""

    length: int

    def __len__(self) -> int:
        return self.length


def _tensor_nbytes(shape: tuple[int, ...], ggml_type: int, name: str, reader: _Reader) -> int:
    try:
        block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
    except (ValueError, KeyError):
        raise reader.fail("gguf.tensor_type", name=name, type=ggml_type) from None
    n = math.prod(shape)
    if shape and shape[0] % block:
        raise reader.fail("gguf.tensor_row", name=name, row=shape[0], block=block)
    return n // block * type_size


def inspect_gguf(path: str | os.PathLike[str], *, check_architecture: bool = True) -> GGUFInfo:
    """Parse ``path``'s header, metadata and tensor table; raise :class:`ModelError` with the reason.

    A file is read once per process while its size and modification time stay the same (a run checks
    it for the fit estimate, the child-process probe and the load)."""
    path = Path(path)
    st = regular_file(path, "what.model_file", ModelError)
    return _inspect_cached(path, st.st_size, st.st_mtime_ns, check_architecture)


@functools.lru_cache(maxsize=16)
def _inspect_cached(path: Path, size: int, _mtime_ns: int, check_architecture: bool) -> GGUFInfo:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise ModelError("gguf.cannot_read", path=path, reason=describe_os_error(exc)) from None
    with fh:
        reader = _Reader(fh, size, path)
        magic = fh.read(4)
        if magic != GGUF_MAGIC:
            raise ModelError("gguf.empty" if size == 0 else "gguf.not_gguf", path=path)
        version = reader.u32("version")
        if version not in (2, 3):
            if version in (0x02000000, 0x03000000):
                raise ModelError("gguf.big_endian", path=path)
            raise ModelError("gguf.version", path=path, version=version)
        n_tensors = reader.count("tensor count", 24)
        n_kv = reader.count("metadata count", 12)
        metadata: dict[str, Any] = {}
        for _ in range(n_kv):
            key = reader.string("metadata key")
            vtype = reader.u32(f"type of {key}")
            metadata[key] = reader.value(vtype, key)
        tensors = []
        for _ in range(n_tensors):
            name = reader.string("tensor name")
            n_dims = reader.u32(f"dimensions of {name}")
            if n_dims > 8:
                raise reader.fail("gguf.tensor_dims", name=name, dims=n_dims)
            shape = tuple(reader.u64(f"shape of {name}") for _ in range(n_dims))
            ggml_type = reader.u32(f"type of {name}")
            offset = reader.u64(f"offset of {name}")
            tensors.append(TensorInfo(name, shape, ggml_type, offset, _tensor_nbytes(shape, ggml_type, name, reader)))
        alignment = metadata.get("general.alignment", 32)
        if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
            raise reader.fail("gguf.alignment", alignment=repr(alignment))
        pos = fh.tell()
        data_offset = (pos + alignment - 1) // alignment * alignment
    info = GGUFInfo(path, size, version, metadata, tensors, data_offset)
    end = max((data_offset + t.offset + t.nbytes for t in tensors), default=data_offset)
    if end > size:
        missing = end - size
        raise ModelError("gguf.truncated", path=path, size=size, end=end, missing=missing)
    if check_architecture:
        arch = info.architecture
        if not arch:
            raise ModelError("gguf.no_arch", path=path)
        if arch not in KNOWN_ARCHITECTURES:
            raise ModelError("gguf.unknown_arch", path=path, arch=arch)
        check_hyperparameters(info)
    return info


# (key, lowest, highest): values llama.cpp asserts on or sizes buffers by; far beyond any real model
_SANE: tuple[tuple[str, int, int], ...] = (
    ("block_count", 1, 4096 - 1),
    ("context_length", 1, 1 << 24),
    ("embedding_length", 1, 1 << 20),
    ("feed_forward_length", 0, 1 << 22),
    ("attention.head_count", 1, 1 << 14),
    ("attention.head_count_kv", 0, 1 << 14),
)
_BLOCK = re.compile(r"^blk\.(\d+)\.")


def check_hyperparameters(info: GGUFInfo) -> None:
    """Refuse header values llama.cpp would abort on (or size absurd buffers by), with the key named."""
    for key, low, high in _SANE:
        value = info.arch_value(key)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                raise ModelError(
                    "gguf.bad_value", path=info.path, key=f"{info.architecture}.{key}", value=repr(v), low=low, high=high
                )
    blocks = {int(m.group(1)) for t in info.tensors if (m := _BLOCK.match(t.name))}
    declared = info.arch_value("block_count")
    if blocks and isinstance(declared, int) and max(blocks) >= declared:
        raise ModelError("gguf.bad_blocks", path=info.path, block=max(blocks), declared=declared)
