"""K-quants (and Q8_0) through llama.cpp's own quantizer, with progress read from the growing output."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from .errors import ConvertError
from .gguf_export import ProgressFn, disk_reason, free_bytes, remove_quietly

# llama.cpp file types and their size relative to F16 (bits per weight / 16), for the progress estimate
QUANT_TYPES = {"Q8_0": (7, 8.5), "Q6_K": (18, 6.56), "Q5_K_M": (17, 5.69), "Q4_K_M": (15, 4.89)}


def quantize(src: Path, out: Path, type_name: str, threads: int, progress: ProgressFn | None = None) -> None:
    """``src`` (an F16/F32 GGUF) → ``out`` via a temporary name; raises ConvertError with llama.cpp's reason."""
    import llama_cpp.llama_cpp as L

    from opening import llama_log
    from opening.llama_model import init_backend

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
    llama_log.take_recent_errors()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        rc = L.llama_model_quantize(str(src).encode(), str(temp).encode(), params)
    finally:
        done.set()
        watcher.join()
    if rc != 0 or not temp.is_file():
        remove_quietly(temp)
        reasons = [r for r in llama_log.take_recent_errors() if r]
        reason = reasons[-1] if reasons else f"code {rc}"
        if "No space left" in reason or free_bytes(out.parent) < 1 << 20:
            reason = "the disk is full"
        raise ConvertError(f"llama.cpp could not quantize to {type_name}: {reason}; nothing was left under {out.name}")
    try:
        with temp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, out)
    except OSError as exc:
        remove_quietly(temp)
        raise ConvertError(f"could not write {out}: {disk_reason(exc, out.parent)}") from None
    if progress:
        progress("quantizing", 1.0)

