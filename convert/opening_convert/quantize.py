"""K-quants (and Q8_0) through llama.cpp's own quantizer, with progress read from the growing output."""

from __future__ import annotations

import threading
from pathlib import Path

from opening.base.atomic import commit_temp, remove_quietly
from opening.base.messages import Message
from opening.base.progress import StageFn

from .errors import ConvertError
from .gguf_export import disk_reason, free_bytes
from .types import QUANT_TYPES


def quantize(src: Path, out: Path, type_name: str, threads: int, progress: StageFn | None = None) -> None:
    """``src`` (an F16/F32 GGUF) → ``out`` via a temporary name; raises ConvertError with llama.cpp's reason."""
    import llama_cpp.llama_cpp as L

    from opening.llama.backend import failure_reason, init_backend, take_recent_errors

    ftype, bits = QUANT_TYPES[type_name]
    temp = out.with_name(f".{out.name}.partial")
    params = L.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads
    expected = max(1, int(src.stat().st_size * bits / 16))
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.5):
            if progress and temp.exists():
                progress("quantizing", min(0.99, temp.stat().st_size / expected))

    init_backend()
    take_recent_errors()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        rc = L.llama_model_quantize(str(src).encode(), str(temp).encode(), params)
    finally:
        done.set()
        watcher.join()
    if rc != 0 or not temp.is_file():
        remove_quietly(temp)
        said = failure_reason(f"code {rc}")
        full = "No space left" in said or free_bytes(out.parent) < 1 << 20
        reason = Message("os.disk_full") if full else Message.verbatim(said)
        raise ConvertError("convert.quantize_failed", type=type_name, reason=reason, name=out.name)
    try:
        commit_temp(temp, out)
    except OSError as exc:
        remove_quietly(temp)
        raise ConvertError("path.cannot_write", path=out, reason=disk_reason(exc, out.parent)) from None
    if progress:
        progress("quantizing", 1.0)
