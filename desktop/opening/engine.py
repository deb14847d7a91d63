"""Sample N candidate continuations in one llama.cpp context whose sequences share prompt KV cache.

How one request runs (see ``generate``):

1. Candidate ``i`` continues prompt ``i % P`` (P = distinct prompts, one per template). Each distinct
   prompt is decoded once, on sequence ``p``, all prompts in one batch (chunked at ``n_batch``), with
   logits only at each prompt's last token.
2. The finished prompt cache of sequence ``p`` is copied (``llama_memory_seq_cp``) to every other
   sequence that continues it; ``kv_unified`` lets all sequences see the shared cells.
3. Every step then decodes one token per live sequence in a single batch, and each sequence samples
   its next token with its own sampler chain (top-k → top-p → temperature → seeded dist).

A sequence ends at an end-of-generation token, at one of its prompt's stop texts, or at max tokens.
The cancel callable is checked between steps (and between prompt chunks, where llama.cpp's abort
callback also interrupts a long prompt decode).
"""

from __future__ import annotations

import ctypes
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import llama_cpp.llama_cpp as L

from .errors import BadInput, ModelError
from .sampling import MAX_CANDIDATES, SamplingParams  # noqa: F401 (re-exported)
from .llama_model import LlamaModel, ProgressFn, default_threads
from .templates import Prompt
from .text_stream import TextStream

log = logging.getLogger(__name__)

PieceFn = Callable[[int, str], None]
"""Streaming callback: (candidate index, new text)."""
CancelFn = Callable[[], bool]

DEFAULT_CONTEXT_LIMIT = 8192
_N_BATCH = 512
_CTX_ROUND = 256
MAX_BATCH_SEQ_IDS = MAX_CANDIDATES + 1
"""Sequence ids one batch token may carry: scoring decodes a shared prefix once for every candidate
and the baseline."""


@dataclass
class EngineSettings:
    threads: int = field(default_factory=default_threads)
    gpu_layers: int = 0
    use_mmap: bool | None = None
    """None: read on the CPU, map with GPU offload (llama_model.default_use_mmap)."""
    repack: bool = True
    """llama.cpp's CPU weight repacking (see LlamaModel)."""
    context_limit: int = DEFAULT_CONTEXT_LIMIT
    """Longest prompt + generation one sequence may use (capped by the model's training context)."""


@dataclass
class Candidate:
    index: int
    template: str
    text: str
    tokens: int
    finish_reason: str
    """``eog`` (end of generation), ``stop`` (a stop text), ``length`` (max tokens) or ``cancelled``."""


@dataclass
class GenerationResult:
    candidates: list[Candidate]
    seed: int
    prompt_tokens: int
    """Prompt tokens decoded: the distinct prompts' lengths summed (not multiplied by N)."""
    generated_tokens: int
    steps: int
    prompt_ms: float
    generate_ms: float
    cancelled: bool = False

    @property
    def ms_per_step(self) -> float:
        return self.generate_ms / self.steps if self.steps else 0.0


class LlamaContext:
    """A llama_context (+ batch) sized for a number of KV cells and sequences; reused across requests."""

    def __init__(self, model: LlamaModel, n_ctx: int, n_seq: int, threads: int, *, exact: bool = False) -> None:
        params = L.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = _N_BATCH
        params.n_ubatch = _N_BATCH
        params.n_seq_max = n_seq
        params.kv_unified = True
        params.n_threads = threads
        params.n_threads_batch = threads
        params.no_perf = True
        if exact:
            # flash attention computes Q·K in F16 on the CPU: fine for sampling, but scores should not
            # depend on how rows are batched (measured: up to 6e-3 nats per token apart with it on)
            params.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_DISABLED
        ctx = L.llama_init_from_model(model.handle, params)
        if not ctx:
            raise ModelError(
                f"llama.cpp could not create a context of {n_ctx} tokens for {n_seq} sequences"
                " (not enough memory?)"
            )
        self.ptr = ctx
        self.n_ctx, self.n_seq, self.threads = n_ctx, n_seq, threads
        self.n_batch = _N_BATCH
        self.memory = L.llama_get_memory(ctx)
        self.batch = L.llama_batch_init(max(_N_BATCH, MAX_CANDIDATES), 0, MAX_BATCH_SEQ_IDS)
        self._abort_flag: CancelFn | None = None
        self._abort_cb = L.ggml_abort_callback(self._on_abort)

    def _on_abort(self, _data: ctypes.c_void_p) -> bool:
        flag = self._abort_flag
        return bool(flag and flag())

    def set_abort(self, cancel: CancelFn | None) -> None:
        """Let llama.cpp poll ``cancel`` inside a decode (used for long prompts only: it costs a
        Python call per graph node)."""
        self._abort_flag = cancel
        if cancel is None:
            L.llama_set_abort_callback(self.ptr, ctypes.cast(None, L.ggml_abort_callback), None)
        else:
            L.llama_set_abort_callback(self.ptr, self._abort_cb, None)

    def fits(self, n_ctx: int, n_seq: int, threads: int) -> bool:
        return self.n_ctx >= n_ctx and self.n_seq >= n_seq and self.threads == threads

    def decode(self, n_tokens: int) -> int:
        self.batch.n_tokens = n_tokens
        return L.llama_decode(self.ptr, self.batch)

    def close(self) -> None:
        if self.ptr:
            L.llama_batch_free(self.batch)
            L.llama_free(self.ptr)
            self.ptr = None


class Engine:
    """A GGUF model loaded once, ready to sample candidates for many requests."""

    def __init__(
        self,
        model_path: str | Path,
        settings: EngineSettings | None = None,
        *,
        progress: ProgressFn | None = None,
    ) -> None:
        self.settings = settings or EngineSettings()
        self.model = LlamaModel(
            model_path, gpu_layers=self.settings.gpu_layers, use_mmap=self.settings.use_mmap,
            repack=self.settings.repack, progress=progress
        )
        self._contexts: dict[bool, LlamaContext] = {}

    @property
    def load_ms(self) -> float:
        return self.model.load_ms

    @property
    def context_limit(self) -> int:
        return min(self.settings.context_limit, self.model.n_ctx_train or self.settings.context_limit)

    def close(self) -> None:
        for ctx in self._contexts.values():
            ctx.close()
        self._contexts.clear()
        self.model.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_fits(self, prompts: list[Prompt], params: SamplingParams) -> None:
        """Raise :class:`BadInput` when a prompt plus the tokens to generate exceeds the context."""
        limit = self.context_limit
        longest = max(len(p.tokens) for p in prompts[: params.n])
        if longest + params.max_tokens > limit:
            raise BadInput(
                f"the text is too long: its prompt takes {longest} tokens and up to {params.max_tokens} more are"
                f" generated, but the context holds {limit} tokens"
                f" (shorten the text by about {longest + params.max_tokens - limit} tokens or lower max tokens)"
            )

    def context(self, n_cells: int, n_seq: int, *, exact: bool = False) -> LlamaContext:
        """A context with room for ``n_cells`` KV cells and ``n_seq`` sequences, reused while it fits.

        ``exact`` (scoring) turns flash attention off; generation and scoring keep one context each.
        """
        threads = max(1, self.settings.threads)
        n_ctx = -(-n_cells // _CTX_ROUND) * _CTX_ROUND
        current = self._contexts.get(exact)
        if current is not None and current.fits(n_ctx, n_seq, threads):
            return current
        if current is not None:
            n_ctx, n_seq = max(n_ctx, current.n_ctx), max(n_seq, current.n_seq)
            current.close()
            del self._contexts[exact]
        self._contexts[exact] = LlamaContext(self.model, n_ctx, n_seq, threads, exact=exact)
        return self._contexts[exact]

    def _sampler(self, params: SamplingParams, seed: int) -> L.llama_sampler_p:
        chain_params = L.llama_sampler_chain_default_params()
        chain_params.no_perf = True
        chain = L.llama_sampler_chain_init(chain_params)
        if params.temperature <= 0:
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_greedy())
            return chain
        if params.top_k > 0:
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_top_k(params.top_k))
        if params.top_p < 1:
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_top_p(params.top_p, 1))
        L.llama_sampler_chain_add(chain, L.llama_sampler_init_temp(params.temperature))
        L.llama_sampler_chain_add(chain, L.llama_sampler_init_dist(seed))
        return chain

    def generate(
        self,
        prompts: list[Prompt],
        params: SamplingParams,
        *,
        on_piece: PieceFn | None = None,
        cancel: CancelFn | None = None,
        ignore_eog: bool = False,
    ) -> GenerationResult:
        """Sample ``params.n`` candidates; ``ignore_eog`` (for benchmarks) runs every one to max tokens."""
        params.validate()
        if not prompts:
            raise BadInput("no prompt to generate from")
        n = params.n
        used = prompts[: min(n, len(prompts))]
        self.check_fits(used, params)
        seed = params.seed if params.seed is not None else secrets.randbelow(2**32 - 1)
        n_cells = sum(len(p.tokens) for p in used) + n * params.max_tokens + 1
        ctx = self.context(n_cells, n)
        L.llama_memory_clear(ctx.memory, True)

        owner = [i % len(used) for i in range(n)]
        streams = [TextStream(used[owner[i]].stops) for i in range(n)]
        chains = [self._sampler(params, (seed + i) % (2**32 - 1)) for i in range(n)]
        counts = [0] * n
        last = [0] * n
        pos = [len(used[owner[i]].tokens) for i in range(n)]
        finish: list[str | None] = [None] * n
        cancelled = False
        model = self.model
        batch = ctx.batch

        def accept(i: int, token: int) -> None:
            """Record candidate i's sampled token; end it at EOG, a stop text or max tokens."""
            if model.is_eog(token) and not ignore_eog:
                finish[i] = "eog"
            else:
                counts[i] += 1
                last[i] = token
                piece = streams[i].feed(model.piece(token))
                if piece and on_piece:
                    on_piece(i, piece)
                if streams[i].stopped:
                    finish[i] = "stop"
                elif counts[i] >= params.max_tokens:
                    finish[i] = "length"
            if finish[i] is not None:
                tail = streams[i].finish()
                if tail and on_piece:
                    on_piece(i, tail)

        try:
            # 1. all distinct prompts in one batch (chunked), logits at each prompt's last token
            t0 = time.perf_counter()
            flat = [(p_idx, j, tok) for p_idx, p in enumerate(used) for j, tok in enumerate(p.tokens)]
            prompt_decoded = 0
            ctx.set_abort(cancel)
            try:
                for start in range(0, len(flat), _N_BATCH):
                    if cancel and cancel():
                        cancelled = True
                        break
                    chunk = flat[start:start + _N_BATCH]
                    ends: list[tuple[int, int]] = []
                    for k, (p_idx, j, tok) in enumerate(chunk):
                        is_last = j == len(used[p_idx].tokens) - 1
                        batch.token[k] = tok
                        batch.pos[k] = j
                        batch.n_seq_id[k] = 1
                        batch.seq_id[k][0] = p_idx
                        batch.logits[k] = is_last
                        if is_last:
                            ends.append((p_idx, k))
                    rc = ctx.decode(len(chunk))
                    if rc == 2 or (cancel and cancel()):
                        cancelled = True
                        break
                    if rc != 0:
                        raise ModelError(f"llama.cpp failed to decode the prompt (code {rc})")
                    prompt_decoded += len(chunk)
                    for p_idx, k in ends:
                        for i in range(n):
                            if owner[i] == p_idx:
                                last[i] = L.llama_sampler_sample(chains[i], ctx.ptr, k)
            finally:
                ctx.set_abort(None)
            for i in range(len(used), n):
                L.llama_memory_seq_cp(ctx.memory, owner[i], i, -1, -1)
            prompt_ms = (time.perf_counter() - t0) * 1000.0

            # 2. one token per live sequence per step, in one batch
            t1 = time.perf_counter()
            steps = 0
            if not cancelled:
                for i in range(n):
                    accept(i, last[i])
            live = [i for i in range(n) if finish[i] is None]
            while live and not cancelled:
                if cancel and cancel():
                    cancelled = True
                    break
                for b, i in enumerate(live):
                    batch.token[b] = last[i]
                    batch.pos[b] = pos[i]
                    batch.n_seq_id[b] = 1
                    batch.seq_id[b][0] = i
                    batch.logits[b] = True
                    pos[i] += 1
                rc = ctx.decode(len(live))
                if rc != 0:
                    raise ModelError(f"llama.cpp failed to decode (code {rc}; out of context memory?)")
                steps += 1
                for b, i in enumerate(live):
                    accept(i, L.llama_sampler_sample(chains[i], ctx.ptr, b))
                live = [i for i in live if finish[i] is None]
            generate_ms = (time.perf_counter() - t1) * 1000.0
        finally:
            for chain in chains:
                L.llama_sampler_free(chain)

        candidates = []
        for i in range(n):
            if finish[i] is None:
                finish[i] = "cancelled"
                streams[i].finish()
            candidates.append(Candidate(i, used[owner[i]].template, streams[i].text, counts[i], finish[i] or ""))
        result = GenerationResult(
            candidates=candidates,
            seed=seed,
            prompt_tokens=prompt_decoded,
            generated_tokens=sum(counts),
            steps=steps,
            prompt_ms=prompt_ms,
            generate_ms=generate_ms,
            cancelled=cancelled,
        )
        log.info(
            "generated %d tokens in %d steps (%.1f ms/step), prompt %d tokens in %.0f ms",
            result.generated_tokens, steps, result.ms_per_step, result.prompt_tokens, prompt_ms,
        )
        return result
