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
from pathlib import Path

import llama_cpp
import llama_cpp.llama_cpp as L

from opening.base.errors import ModelError

log = logging.getLogger("opening.llama")

# ggml_log_level: 0 none, 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the previous line
_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.DEBUG, 3: logging.WARNING, 4: logging.ERROR}
_recent: collections.deque[tuple[int, str]] = collections.deque(maxlen=12)
_lock = threading.Lock()
_installed = False
_ready = False
_last_level = logging.DEBUG
_cpu_library = ""


@llama_cpp.llama_log_callback
def _callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    global _last_level
    py_level = _last_level if level == 5 else _LEVELS.get(level, logging.DEBUG)  # 5: continuation
    _last_level = py_level
    line = text.decode("utf-8", errors="replace").rstrip("\n")
    if not line:
        return
    if "loaded CPU backend from" in line:  # ggml's word for the variant it picked (a portable build)
        global _cpu_library
        _cpu_library = Path(line.rsplit("from", 1)[1].strip()).name
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
            load_cpu_variants()
            L.llama_backend_init()
            _ready = True


def variant_folder() -> Path:
    """Where a portable build's CPU libraries are: ``llama_cpp/lib`` in the bundle; the wheel itself
    installs them in ``site-packages/bin`` (beside ``llama_cpp``)."""
    package = Path(llama_cpp.__file__).parent
    for folder in (package / "lib", package.parent / "bin"):
        if any(folder.glob("*ggml-cpu-*")):
            return folder
    return package / "lib"


def cpu_variants() -> list[str]:
    """The CPU libraries of a portable build (``libggml-cpu-haswell.so`` …); empty for a native build,
    whose one CPU backend is linked in."""
    return sorted(p.name for p in variant_folder().glob("*ggml-cpu-*"))


def load_cpu_variants() -> int:
    """Load a portable build's backends (GGML_BACKEND_DL with GGML_CPU_ALL_VARIANTS: one CPU library per
    instruction-set level). llama-cpp-python does not load them itself (its issue #2069), so this calls
    ggml's ``ggml_backend_load_all_from_path`` on its library folder; ggml scores each variant against
    this CPU and keeps the best one it can run (``x64``, the baseline, runs on any x86-64 CPU). Returns
    the devices now registered; raises when none is, with what to do. ``OPENING_CPU_VARIANT=haswell``
    (say) loads that variant only.

    The calls go through libllama's own handle (``llama_cpp.llama_cpp._lib``): a symbol looked up there
    is found in the ggml library *libllama* uses. The wheel ships ggml twice (``libggml.so`` and
    ``libggml.so.0`` are copies, not links), and ``llama_cpp._ggml`` loads the other copy: backends
    loaded into it are invisible to llama ("no backends are loaded"; measured here)."""
    libggml = L._lib

    count = libggml.ggml_backend_dev_count
    count.restype = ctypes.c_size_t
    if not cpu_variants() or count() > 0:
        return int(count())
    forced = os.environ.get("OPENING_CPU_VARIANT", "").strip()
    if forced:  # a named variant only (a benchmark, or a variant that misbehaves on some machine)
        _load_named(libggml, forced)
    else:
        load_all = libggml.ggml_backend_load_all_from_path
        load_all.argtypes = [ctypes.c_char_p]
        load_all.restype = None
        load_all(str(variant_folder()).encode())
    found = int(count())
    if found == 0:
        raise ModelError("llama.no_cpu_variant", folder=variant_folder(), variants=", ".join(cpu_variants()))
    log.info("llama.cpp CPU library: %s", cpu_library() or "?")
    return found


def _load_named(libggml: ctypes.CDLL, name: str) -> None:
    global _cpu_library
    library = next((variant_folder() / n for n in cpu_variants() if n.split("ggml-cpu-", 1)[1].split(".")[0] == name), None)
    if library is None:
        raise ModelError("llama.unknown_variant", name=name, variants=", ".join(cpu_variants()))
    load_one = libggml.ggml_backend_load
    load_one.argtypes = [ctypes.c_char_p]
    load_one.restype = ctypes.c_void_p
    if not load_one(str(library).encode()):
        raise ModelError("llama.variant_unrunnable", name=name, library=library.name)
    _cpu_library = library.name


def cpu_library() -> str:
    """The CPU variant a portable build loaded (``libggml-cpu-haswell.so``; "" for a native build)."""
    return _cpu_library


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
