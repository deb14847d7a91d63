"""A small, torch-free, memory-mapped reader for ``.safetensors`` files.

Tensors are read on demand, a range of rows at a time, with positioned reads into fresh buffers —
not through a memory map, whose touched pages would stay in the process's resident set until the whole
checkpoint had been "loaded". Converting a 14 GB checkpoint holds one block of rows at a time. BF16 has
no numpy type: it is returned as float32.
Every offset in the header is checked against the file size first, so a truncated download is a
clear message rather than a crash.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from opening.base.checks import regular_file

from .errors import ConvertError

_DTYPES = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "BF16": np.uint16,
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U8": np.uint8,
    "BOOL": np.bool_,
}
_MAX_HEADER = 100 * 1024 * 1024


def _counts(value: object) -> list[int] | None:
    """``value`` as a list of whole non-negative numbers, or None."""
    if isinstance(value, list) and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in value):
        return value
    return None


def _tensor_ref(file: str, name: str, info: object, data_size: int, file_size: int) -> TensorRef:
    """One header entry, checked: known dtype, whole non-negative dims, offsets inside the data, in
    order, aligned to the dtype, and exactly the bytes the shape needs."""
    if not isinstance(info, dict):
        raise ConvertError("convert.st_bad_entry", file=file, name=name)
    dtype = info.get("dtype")
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise ConvertError("convert.st_dtype", file=file, name=name, dtype=repr(dtype))
    shape, offsets = _counts(info.get("shape")), _counts(info.get("data_offsets"))
    if shape is None or len(shape) > 8 or offsets is None or len(offsets) != 2:
        raise ConvertError("convert.st_bad_shape", file=file, name=name)
    start, end = offsets
    if end > data_size:
        raise ConvertError("convert.st_truncated", file=file, name=name, end=file_size - data_size + end, size=file_size)
    itemsize = np.dtype(_DTYPES[dtype]).itemsize
    if start > end or start % itemsize:
        raise ConvertError("convert.st_bad_offsets", file=file, name=name, start=start, end=end)
    expected = math.prod(shape) * itemsize
    if end - start != expected:
        raise ConvertError("convert.st_size", file=file, name=name, got=end - start, shape=tuple(shape), need=expected)
    return TensorRef(name, dtype, tuple(shape), start, end)


@dataclass(frozen=True)
class TensorRef:
    name: str
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int


class SafetensorsFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        size = regular_file(path, "what.safetensors_file", ConvertError).st_size
        with path.open("rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise ConvertError("convert.st_too_small", name=path.name, size=size)
            (header_len,) = struct.unpack("<Q", head)
            if header_len > min(_MAX_HEADER, size - 8):
                raise ConvertError("convert.st_header_len", name=path.name, length=header_len)
            try:
                header = json.loads(fh.read(header_len))
            except (ValueError, RecursionError):
                raise ConvertError("convert.st_header_json", name=path.name) from None
        if not isinstance(header, dict):
            raise ConvertError("convert.st_header", name=path.name)
        self.data_start = 8 + header_len
        data_size = size - self.data_start
        self.tensors: dict[str, TensorRef] = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            self.tensors[name] = _tensor_ref(path.name, name, info, data_size, self.data_start + data_size)
        spans = sorted((ref.start, ref.end, ref.name) for ref in self.tensors.values() if ref.end > ref.start)
        for (_, end, first), (start, _, second) in zip(spans, spans[1:], strict=False):
            if start < end:
                raise ConvertError("convert.st_overlap", name=path.name, first=first, second=second)
        self._fd: int | None = None

    def rows(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` of the tensor (its first axis), as float32 (or the file's integer type)."""
        ref = self.tensors[name]
        dtype = np.dtype(_DTYPES[ref.dtype])
        row_items = int(np.prod(ref.shape[1:], dtype=np.int64)) if len(ref.shape) > 1 else 1
        first = self.data_start + ref.start + start * row_items * dtype.itemsize
        count = (stop - start) * row_items
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        raw = (
            os.pread(self._fd, count * dtype.itemsize, first)
            if hasattr(os, "pread")
            else self._read_at(first, count * dtype.itemsize)
        )
        if len(raw) != count * dtype.itemsize:
            raise ConvertError("convert.st_ended", name=self.path.name, tensor=name)
        arr = np.frombuffer(raw, dtype=dtype).reshape((stop - start, *ref.shape[1:]) if len(ref.shape) > 1 else (count,))
        if ref.dtype == "BF16":
            return (arr.astype(np.uint32) << 16).view(np.float32)
        return arr

    def _read_at(self, offset: int, size: int) -> bytes:
        assert self._fd is not None
        os.lseek(self._fd, offset, os.SEEK_SET)
        return os.read(self._fd, size)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
