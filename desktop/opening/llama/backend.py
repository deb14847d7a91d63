"""llama.cpp's process-wide set-up, in one place: log routing, backend start, GPU query, threads, and
the rule that picks how a model file is loaded.

* Log lines go to the ``opening.llama`` logger (llama-cpp-python would print them all to stderr, which
  a CLI read by people and scripts must not do); the last warning and error lines are kept so that a
  failed load can say *why* in one line.
* Threads are clamped to the CPUs this process may use: llama.cpp starts every thread it is asked for
  (``--threads 100000`` crashed the process).
* The load-mode rule (``load_mode``): read the weights into memory on the CPU, map the file when layers
  go to a GPU; the settings ``use_mmap`` and ``repack`` override it.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import os
import threading

import llama_cpp
import llama_cpp.llama_cpp as L

log = logging.getLogger("opening.llama")

# ggml_log_level: 0 none, 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the previous line
_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.DEBUG, 3: logging.WARNING, 4: logging.ERROR}
_recent: collections.deque[tuple[int, str]] = collections.deque(maxlen=12)
_lock = threading.Lock()
_installed = False
_ready = False
_last_level = logging.DEBUG


@llama_cpp.llama_log_callback
def _callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    global _last_level
    py_level = _last_level if level == 5 else _LEVELS.get(level, logging.DEBUG)  # 5: continuation
    _last_level = py_level
    line = text.decode("utf-8", errors="replace").rstrip("\n")
    if not line:
        return
    if py_level >= logging.WARNING:
        with _lock:
            _recent.append((py_level, line.strip()))
    # llama.cpp's warnings are mostly about the model file's metadata: -vv shows them
    log.log(logging.DEBUG if py_level < logging.ERROR else logging.INFO, "%s", line)


def take_recent_errors() -> list[str]:
    """Return and forget the error lines llama.cpp logged since the last call."""
    with _lock:
        lines = [text for level, text in _recent if level >= logging.ERROR]
        _recent.clear()
    return lines


_GENERIC = ("failed to load model", "failed to quantize")


def failure_reason(default: str) -> str:
    """The most telling error llama.cpp logged (the last one that is not a generic "failed to …"; else
    its last warning; else ``default``), with llama.cpp's function-name prefixes cut; forget them."""
    with _lock:
        errors = [text for level, text in _recent if level >= logging.ERROR and text]
        warnings = [text for level, text in _recent if level == logging.WARNING and text]
        _recent.clear()
    telling = [e for e in errors if not e.endswith(_GENERIC)] or errors or warnings
    if not telling:
        return default
    reason = telling[-1]
    while ": " in reason and reason.split(": ", 1)[0].replace("_", "").isalnum():  # "llama_model_load: error …"
        reason = reason.split(": ", 1)[1]
    return reason


def init_backend() -> None:
    """Route the logs and start the backend, once per process."""
    global _installed, _ready
    with _lock:
        if not _installed:
            llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))
            _installed = True
        if not _ready:
            L.llama_backend_init()
            _ready = True


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def default_threads() -> int:
    """Threads for decoding: every core on small machines, half the logical CPUs on big ones."""
    n = available_cpus()
    return n if n <= 4 else max(4, n // 2)


def clamp_threads(requested: int | None) -> int:
    """``requested`` (None: the default) within 1 … the CPUs this process may use."""
    if requested is None:
        return default_threads()
    clamped = max(1, min(int(requested), available_cpus()))
    if clamped != requested:
        log.warning("using %d threads instead of %s (this machine has %d CPUs)", clamped, requested, available_cpus())
    return clamped


def gpu_offload_supported() -> bool:
    init_backend()
    return bool(L.llama_supports_gpu_offload())


def load_mode(gpu_layers: int, use_mmap: bool | None, repack: bool) -> tuple[bool, bool]:
    """(memory-map the file, repack weights for the CPU): the one rule the CLI, the window and the fit
    estimate share.

    Measured on a 7B Q4_K_M with repacking on: mapped, the file's pages stay resident beside the
    repacked copy (8.07 GB peak); read, 5.03 GB at the same speed. With GPU offload (Metal's unified
    memory above all) the mapping is what the backend wants to use. ``use_mmap`` None means this choice.
    """
    if use_mmap is None:
        use_mmap = gpu_layers != 0 and gpu_offload_supported()
    return use_mmap, repack
