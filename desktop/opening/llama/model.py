"""A GGUF model loaded once in llama.cpp (low-level API): vocabulary, tokenizer, token pieces.

Every file passes the header reader and its sanity checks (``opening.models.gguf_file``) first, and a
file this app has not loaded before is loaded once in a child process (``opening.llama.probe``), so that
an abort inside llama.cpp becomes a message instead of ending the app."""

from __future__ import annotations

import ctypes
import logging
import os
import time
from pathlib import Path

import llama_cpp.llama_cpp as L

from opening.base.errors import Cancelled, ModelError
from opening.base.messages import Message
from opening.base.progress import CancelFn, StageFn
from opening.llama.backend import failure_reason, init_backend, load_mode, take_recent_errors
from opening.models.gguf_file import GGUFInfo, inspect_gguf

log = logging.getLogger(__name__)


class LlamaModel:
    """Owns a ``llama_model``; free it with :meth:`close` (or use as a context manager)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        gpu_layers: int = 0,
        use_mmap: bool | None = None,
        repack: bool = True,
        vocab_only: bool = False,
        progress: StageFn | None = None,
        cancel: CancelFn | None = None,
    ) -> None:
        self.path = Path(path)
        self.info: GGUFInfo = inspect_gguf(self.path)
        init_backend()
        params = L.llama_model_default_params()
        params.n_gpu_layers = gpu_layers if gpu_layers >= 0 else 2**31 - 1
        self.use_mmap, repack = load_mode(gpu_layers, use_mmap, repack)
        params.load_mode = L.LLAMA_LOAD_MODE_MMAP if self.use_mmap else L.LLAMA_LOAD_MODE_NONE
        # CPU weight repacking (llama.cpp's default). Measured on a 7B Q4_K_M, 2 threads: a 5-sequence
        # step takes 360 ms repacked vs 476 ms not (1.32x), a 283-token batch 8.2 s vs 5.0 s (0.61x).
        # Steps dominate a run, so it stays on (docs/models.md, "Loading mode"; the setting switches it).
        params.use_extra_bufts = repack
        params.vocab_only = vocab_only  # the tokenizer alone (a GGUF may then hold no tensors at all)
        cancelled = False
        if progress is not None or cancel is not None:

            def on_progress(fraction: float, _data: ctypes.c_void_p) -> bool:
                nonlocal cancelled
                if progress is not None:
                    progress("loading", float(fraction))
                cancelled = bool(cancel and cancel())
                return not cancelled

            self._progress_cb = L.llama_progress_callback(on_progress)  # keep alive during the load
            params.progress_callback = self._progress_cb
        take_recent_errors()
        t0 = time.perf_counter()
        model = L.llama_model_load_from_file(str(self.path).encode("utf-8"), params)
        self.load_ms = (time.perf_counter() - t0) * 1000.0
        if not model:
            if cancelled:
                raise Cancelled("model.load_cancelled")
            reason = failure_reason("")
            raise ModelError("model.load_failed", name=self.path.name, reason=reason or Message("model.no_reason"))
        self._model = model
        self.vocab = L.llama_model_get_vocab(model)
        self.n_vocab = L.llama_vocab_n_tokens(self.vocab)
        self.n_ctx_train = L.llama_model_n_ctx_train(model)
        self.bos = L.llama_vocab_bos(self.vocab)
        self.eos = L.llama_vocab_eos(self.vocab)
        self.add_bos = bool(L.llama_vocab_get_add_bos(self.vocab))
        self._pieces: dict[int, bytes] = {}
        self._eog: dict[int, bool] = {}
        log.info("loaded %s in %.0f ms", self.path.name, self.load_ms)

    @property
    def handle(self) -> L.llama_model_p:
        if self._model is None:
            raise ModelError("model.closed")
        return self._model

    @property
    def name(self) -> str:
        return self.info.name

    def close(self) -> None:
        if getattr(self, "_model", None) is not None:
            L.llama_model_free(self._model)
            self._model = None

    def __enter__(self) -> LlamaModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    # -- tokenizer -------------------------------------------------------------------------------

    def tokenize(self, text: str, *, add_special: bool, parse_special: bool) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 8
        while True:
            buf = (L.llama_token * capacity)()
            n = L.llama_tokenize(self.vocab, data, len(data), buf, capacity, add_special, parse_special)
            if n >= 0:
                return list(buf[:n])
            capacity = -n

    def piece(self, token: int) -> bytes:
        """The bytes a token stands for (control tokens give b"")."""
        cached = self._pieces.get(token)
        if cached is None:
            buf = ctypes.create_string_buffer(64)
            n = L.llama_token_to_piece(self.vocab, token, buf, 64, 0, False)
            if n < 0:
                buf = ctypes.create_string_buffer(-n)
                n = L.llama_token_to_piece(self.vocab, token, buf, -n, 0, False)
            cached = buf.raw[:n]
            self._pieces[token] = cached
        return cached

    def detokenize(self, tokens: list[int]) -> str:
        return b"".join(self.piece(t) for t in tokens).decode("utf-8", errors="replace")

    def is_eog(self, token: int) -> bool:
        flag = self._eog.get(token)
        if flag is None:
            flag = self._eog[token] = bool(L.llama_vocab_is_eog(self.vocab, token))
        return flag

    def token_text(self, token: int) -> str:
        raw = L.llama_vocab_get_text(self.vocab, token)
        return raw.decode("utf-8", errors="replace") if raw else ""

    @property
    def bos_text(self) -> str:
        return self.token_text(self.bos) if self.bos >= 0 else ""

    @property
    def eos_text(self) -> str:
        return self.token_text(self.eos) if self.eos >= 0 else ""


def tokenize_parts(model: LlamaModel, parts: list[tuple[str, bool]]) -> list[int]:
    """Tokenize prompt pieces; ``(text, True)`` may hold special tokens, ``(text, False)`` is literal.

    When the literal pieces contain no special-token strings the joined text is tokenized in one go
    (exactly as llama.cpp would); otherwise each piece is tokenized on its own so that a text such as
    "<|im_end|>" stays plain text rather than becoming a control token.
    """
    literal_is_safe = all(
        special
        or model.tokenize(text, add_special=False, parse_special=True)
        == model.tokenize(text, add_special=False, parse_special=False)
        for text, special in parts
    )
    if literal_is_safe:
        return model.tokenize("".join(text for text, _ in parts), add_special=True, parse_special=True)
    tokens: list[int] = []
    for k, (text, special) in enumerate(parts):
        tokens += model.tokenize(text, add_special=k == 0, parse_special=special)
    return tokens
