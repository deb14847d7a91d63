"""Will it fit? An estimate of the memory a run needs, from the GGUF header alone, against what is free.

It predicts resident memory (what the OS must find), term by term as llama.cpp uses it in our runs
(checked against its ``-vv`` log lines and against peak RSS: ``benchmarks/bench_memory.py``):

* the weights: every tensor's bytes (all resident once generation has touched them, mmap or not) —
  and, when the file is memory-mapped *and* the CPU backend repacks weights into its own buffers (Q4_0,
  Q4_K, IQ4_NL, Q8_0), those tensors twice: the mapped pages stay resident beside the repacked copy
  (a 7B Q4_K_M: 8.07 GB mapped+repacked vs 5.03 GB read+repacked; why reading is the CPU default);
* two contexts — generation (the prompts + N × max tokens cells, N sequences) and scoring (every
  candidate row + the text, and — when the policy needs r-IFD — its two instruction rows per candidate after
  a shared prompt) — each with
  - a KV cache of ``cells × Σ_layers (n_embd_k_gqa + n_embd_v_gqa) × 2`` bytes (F16; cleared, so resident),
  - the activations of the largest micro-batch, ``ubatch × 4 × (2·n_embd + n_ff)`` bytes, and
  - the logits actually asked for, ``outputs × n_vocab × 4`` twice (graph result and output buffer):
    N per step when generating; when scoring, every target token — the text's after each instruction and
    alone, and r-IFD's instruction tokens — capped by what one scoring decode may ask for
    (``scoring_outputs_per_decode``), plus the log-softmax's few-row temporary. The r-IFD rows were left
    out once; on an AVX2 CPU SmolLM2 sampled longer instructions for "happy" than on AVX-512, their logits
    filled the (then 128 MB) budget and the estimate came out 35% low.
  llama.cpp *reserves* far more compute buffer (a logit row for every token of a 512-token batch:
  98 MiB for SmolLM2, 512 MiB for Gemma-3's 262k vocabulary), but pages never touched are never resident;
* the process itself (Python, Qt, llama.cpp code): measured, not guessed — the current RSS.

Like LM Studio's guardrail it warns; it does not refuse (the OS may have swap, the estimate may be off).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass

from gguf.constants import GGMLQuantizationType as Q

from opening.base.limits import CTX_ROUND, N_BATCH, SOFTMAX_ROWS, scoring_outputs_per_decode
from opening.base.messages import Message
from opening.base.sampling import SamplingParams
from opening.models.gguf_file import GGUFInfo

log = logging.getLogger(__name__)
_MIB = 1024 * 1024
TEMPLATE_TOKENS = 80
"""A reverse template around the text, in tokens (the longest of the three, chat markup included)."""
INSTRUCTION_TOKENS = 64
"""A typical instruction when scoring (over-long ones are filtered out before scoring)."""


REPACKED_TYPES = frozenset({Q.Q4_0, Q.Q4_K, Q.IQ4_NL, Q.Q8_0})


@dataclass(frozen=True)
class FitEstimate:
    weights: int
    kv_cache: int
    compute: int
    process: int
    available: int | None
    """Free memory now (None: unknown on this system)."""

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.compute + self.process

    @property
    def fits(self) -> bool | None:
        if self.available is None:
            return None
        return self.total - self.process <= self.available

    def summary(self) -> str:
        parts = (
            f"needs about {self.total / 1e9:.2f} GB (weights {self.weights / 1e9:.2f}, KV cache"
            f" {self.kv_cache / 1e9:.2f}, buffers {self.compute / 1e9:.2f}, app {self.process / 1e9:.2f})"
        )
        if self.available is None:
            return parts
        return f"{parts}; {self.available / 1e9:.2f} GB free"

    def warning(self) -> Message | None:
        if self.fits is not False:
            return None
        gb = {"total": self.total, "weights": self.weights, "kv": self.kv_cache, "buffers": self.compute}
        values = {k: v / 1e9 for k, v in {**gb, "app": self.process, "free": self.available or 0}.items()}
        return Message("fit.may_not_fit", values)


def _arch_int(info: GGUFInfo, key: str, default: int = 0) -> int:
    value = info.arch_value(key, default)
    if isinstance(value, list):  # per-layer values (some architectures)
        return int(max(value)) if value else default
    return int(value or default)


def kv_bytes_per_cell(info: GGUFInfo) -> int:
    n_layer = _arch_int(info, "block_count")
    n_embd = _arch_int(info, "embedding_length")
    n_head = max(1, _arch_int(info, "attention.head_count", 1))
    n_head_kv = _arch_int(info, "attention.head_count_kv", n_head) or n_head
    k_dim = _arch_int(info, "attention.key_length", n_embd // n_head)
    v_dim = _arch_int(info, "attention.value_length", n_embd // n_head)
    return n_layer * n_head_kv * (k_dim + v_dim) * 2


def vocab_size(info: GGUFInfo) -> int:
    tokens = info.metadata.get("tokenizer.ggml.tokens")
    length = len(tokens) if tokens is not None else 0
    return length or _arch_int(info, "vocab_size", 32000)


def _context_bytes(info: GGUFInfo, cells: int, outputs: int, temporary_rows: int = 0) -> tuple[int, int]:
    """(KV cache, compute) bytes of one context of ``cells`` cells asking for ``outputs`` logit rows (and
    reading ``temporary_rows`` of them at a time into a temporary of ours)."""
    cells = -(-cells // CTX_ROUND) * CTX_ROUND
    ubatch = min(N_BATCH, cells)
    n_embd = _arch_int(info, "embedding_length")
    activations = ubatch * 4 * (2 * n_embd + _arch_int(info, "feed_forward_length"))
    logits = (2 * outputs + temporary_rows) * vocab_size(info) * 4
    return cells * kv_bytes_per_cell(info), activations + logits


def estimate(
    info: GGUFInfo,
    params: SamplingParams | None = None,
    *,
    text_tokens: int = 64,
    use_mmap: bool = False,
    repack: bool = True,
    rifd: bool = False,
) -> FitEstimate:
    """The run's resident memory; ``text_tokens`` is the text's length (the CLI and the window count it);
    ``rifd``: the choice scores r-IFD too (its rows are decoded only then)."""
    params = params or SamplingParams()
    prompt = TEMPLATE_TOKENS + text_tokens
    gen_cells = min(params.n, 3) * prompt + params.n * params.max_tokens
    rows = params.n + 1  # every candidate that survives the filter, and the text alone
    score_cells = rows * (TEMPLATE_TOKENS + INSTRUCTION_TOKENS + text_tokens + 1)
    wanted = rows * (text_tokens + 1)
    if rifd:
        # r-IFD: each instruction after the reverse prompt with the text, and after it alone (the prompts
        # shared); its instruction tokens are scored too, so they ask for logits like the text's tokens
        score_cells += 2 * TEMPLATE_TOKENS + text_tokens + 2 * params.n * (INSTRUCTION_TOKENS + 1)
        wanted += 2 * params.n * (INSTRUCTION_TOKENS + 1)
    score_outputs = min(wanted, scoring_outputs_per_decode(vocab_size(info)))
    kv_gen, compute_gen = _context_bytes(info, gen_cells, params.n)
    kv_score, compute_score = _context_bytes(info, score_cells, score_outputs, min(score_outputs, SOFTMAX_ROWS))
    weights = sum(t.nbytes for t in info.tensors)
    if use_mmap and repack:
        weights += sum(t.nbytes for t in info.tensors if t.ggml_type in REPACKED_TYPES and "token_embd" not in t.name)
    return FitEstimate(weights, kv_gen + kv_score, compute_gen + compute_score, process_rss(), available_memory())


def _status_bytes(field: str) -> int | None:
    """A ``Vm…`` line of /proc/self/status in bytes (None off Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _max_rss() -> int:
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def process_rss() -> int:
    """This process's resident memory now (elsewhere than Linux: its peak so far)."""
    now = _status_bytes("VmRSS")
    return now if now is not None else _max_rss()


def peak_rss() -> int:
    """This process's peak resident memory. Linux: VmHWM (ru_maxrss survives exec, so a child started
    from a big parent would report the parent's size); elsewhere ru_maxrss."""
    peak = _status_bytes("VmHWM")
    return peak if peak is not None else _max_rss()


def available_memory() -> int | None:
    """Memory the OS can give us now: MemAvailable on Linux, free + inactive pages elsewhere."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    if sys.platform == "win32":
        return _windows_available()
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _windows_available() -> int | None:
    import ctypes

    class MemoryStatus(ctypes.Structure):
        _fields_ = [
            ("length", ctypes.c_ulong),
            ("load", ctypes.c_ulong),
            ("total_phys", ctypes.c_ulonglong),
            ("avail_phys", ctypes.c_ulonglong),
            ("total_page", ctypes.c_ulonglong),
            ("avail_page", ctypes.c_ulonglong),
            ("total_virtual", ctypes.c_ulonglong),
            ("avail_virtual", ctypes.c_ulonglong),
            ("avail_extended", ctypes.c_ulonglong),
        ]

    status = MemoryStatus()
    status.length = ctypes.sizeof(MemoryStatus)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
        return None
    return int(status.avail_phys)
