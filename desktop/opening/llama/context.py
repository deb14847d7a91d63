"""A llama_context (+ its batch) sized for a number of KV cells and sequences; reused across requests."""

from __future__ import annotations

import ctypes

import llama_cpp.llama_cpp as L

from opening.base.errors import ModelError
from opening.base.limits import MAX_BATCH_SEQ_IDS, MAX_CANDIDATES, N_BATCH
from opening.base.progress import CancelFn
from opening.llama.model import LlamaModel


class LlamaContext:
    def __init__(self, model: LlamaModel, n_ctx: int, n_seq: int, threads: int, *, exact: bool = False) -> None:
        params = L.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = N_BATCH
        params.n_ubatch = N_BATCH
        params.n_seq_max = n_seq
        params.kv_unified = True  # all sequences see the shared prompt cells
        params.n_threads = threads
        params.n_threads_batch = threads
        params.no_perf = True
        if exact:
            # flash attention computes Q·K in F16 on the CPU: fine for sampling, but scores should not
            # depend on how rows are batched (measured: up to 6e-3 nats per token apart with it on)
            params.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_DISABLED
        ctx = L.llama_init_from_model(model.handle, params)
        if not ctx:
            raise ModelError("llama.no_context", tokens=n_ctx, sequences=n_seq)
        self.ptr = ctx
        self.n_ctx, self.n_seq, self.threads = n_ctx, n_seq, threads
        self.n_batch = N_BATCH
        self.memory = L.llama_get_memory(ctx)
        self.batch = L.llama_batch_init(max(N_BATCH, MAX_CANDIDATES), 0, MAX_BATCH_SEQ_IDS)
        self._abort_flag: CancelFn | None = None
        self._abort_cb = L.ggml_abort_callback(self._on_abort)

    def _on_abort(self, _data: ctypes.c_void_p) -> bool:
        flag = self._abort_flag
        return bool(flag and flag())

    def set_abort(self, cancel: CancelFn | None) -> None:
        """Let llama.cpp poll ``cancel`` inside a decode (used for long batches only: it costs a Python
        call per graph node)."""
        self._abort_flag = cancel
        if cancel is None:
            L.llama_set_abort_callback(self.ptr, L.ggml_abort_callback(), None)  # a NULL callback
        else:
            L.llama_set_abort_callback(self.ptr, self._abort_cb, None)

    def fits(self, n_ctx: int, n_seq: int, threads: int) -> bool:
        return self.n_ctx >= n_ctx and self.n_seq >= n_seq and self.threads == threads

    def clear(self) -> None:
        L.llama_memory_clear(self.memory, True)

    def put(self, k: int, token: int, pos: int, seqs: tuple[int, ...] | list[int] | int, logits: bool) -> None:
        """Batch slot ``k``: ``token`` at ``pos`` for one or several sequences."""
        batch = self.batch
        batch.token[k] = token
        batch.pos[k] = pos
        if isinstance(seqs, int):
            batch.n_seq_id[k] = 1
            batch.seq_id[k][0] = seqs
        else:
            batch.n_seq_id[k] = len(seqs)
            for s, seq in enumerate(seqs):
                batch.seq_id[k][s] = seq
        batch.logits[k] = logits

    def decode(self, n_tokens: int) -> int:
        self.batch.n_tokens = n_tokens
        return L.llama_decode(self.ptr, self.batch)

    def close(self) -> None:
        if self.ptr:
            L.llama_batch_free(self.batch)
            L.llama_free(self.ptr)
            self.ptr = None
