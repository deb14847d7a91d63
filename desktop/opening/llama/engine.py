"""Sample N candidate continuations in one llama.cpp context whose sequences share prompt KV cache.

How one request runs (:meth:`Engine.generate`):

1. The prompt phase (:meth:`_GenerationRun.decode_prompts`): candidate ``i`` continues prompt ``i % P``
   (P = distinct prompts, one per template). Each distinct prompt is decoded once, on sequence ``p``,
   all prompts in one batch (chunked at ``N_BATCH``), with logits only at each prompt's last token; the
   finished cache of sequence ``p`` is then copied (``llama_memory_seq_cp``) to every sequence that
   continues it (``kv_unified`` lets all sequences see the shared cells).
2. The step loop (:meth:`_GenerationRun.step_loop`): every step decodes one token per live sequence in a
   single batch, and each sequence samples its next token with its own sampler chain (top-k → top-p →
   temperature → seeded dist).

A sequence ends at an end-of-generation token, at one of its prompt's stop texts, or at max tokens.
The cancel callable is checked between steps (and between prompt chunks, where llama.cpp's abort
callback also interrupts a long prompt decode).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import llama_cpp.llama_cpp as L

from opening.base.errors import BadInput, ModelError
from opening.base.limits import CTX_ROUND, DEFAULT_CONTEXT_LIMIT, N_BATCH
from opening.base.progress import CancelFn, StageFn
from opening.base.sampling import SamplingParams
from opening.llama.backend import clamp_threads, default_threads
from opening.llama.context import LlamaContext
from opening.llama.model import LlamaModel
from opening.llama.text_stream import TextStream

log = logging.getLogger(__name__)

PieceFn = Callable[[int, str], None]
"""Streaming callback: (candidate index, new text)."""


@dataclass(frozen=True)
class Prompt:
    template: str
    """``family/name``, e.g. ``opening/instruction``: recorded with every candidate."""
    tokens: tuple[int, ...]
    stops: tuple[str, ...]


@dataclass
class EngineSettings:
    threads: int = field(default_factory=default_threads)
    gpu_layers: int = 0
    use_mmap: bool | None = None
    """None: the load-mode rule (``opening.llama.backend.load_mode``)."""
    repack: bool = True
    """llama.cpp's CPU weight repacking (see ``load_mode``)."""
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


class Engine:
    """A GGUF model loaded once, ready to sample candidates for many requests."""

    def __init__(
        self,
        model_path: str | Path,
        settings: EngineSettings | None = None,
        *,
        progress: StageFn | None = None,
        cancel: CancelFn | None = None,
    ) -> None:
        self.settings = settings or EngineSettings()
        self.settings.threads = clamp_threads(self.settings.threads)
        self.model = LlamaModel(
            model_path,
            gpu_layers=self.settings.gpu_layers,
            use_mmap=self.settings.use_mmap,
            repack=self.settings.repack,
            progress=progress,
            cancel=cancel,
        )
        self._contexts: dict[bool, LlamaContext] = {}

    @property
    def load_ms(self) -> float:
        return self.model.load_ms

    @property
    def context_limit(self) -> int:
        trained = self.model.n_ctx_train
        return min(self.settings.context_limit, trained) if trained > 0 else self.settings.context_limit

    def close(self) -> None:
        for ctx in self._contexts.values():
            ctx.close()
        self._contexts.clear()
        self.model.close()

    def __enter__(self) -> Engine:
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
        threads = self.settings.threads
        n_ctx = -(-n_cells // CTX_ROUND) * CTX_ROUND
        current = self._contexts.get(exact)
        if current is not None and current.fits(n_ctx, n_seq, threads):
            return current
        if current is not None:
            n_ctx, n_seq = max(n_ctx, current.n_ctx), max(n_seq, current.n_seq)
            current.close()
            del self._contexts[exact]
        self._contexts[exact] = LlamaContext(self.model, n_ctx, n_seq, threads, exact=exact)
        return self._contexts[exact]

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
        used = prompts[: min(params.n, len(prompts))]
        self.check_fits(used, params)
        seed = params.seed if params.seed is not None else secrets.randbelow(2**32 - 1)
        n_cells = sum(len(p.tokens) for p in used) + params.n * params.max_tokens + 1
        ctx = self.context(n_cells, params.n)
        ctx.clear()
        run = _GenerationRun(self.model, ctx, used, params, seed, on_piece, cancel, ignore_eog)
        try:
            t0 = time.perf_counter()
            run.decode_prompts()
            prompt_ms = (time.perf_counter() - t0) * 1000.0
            t1 = time.perf_counter()
            run.step_loop()
            generate_ms = (time.perf_counter() - t1) * 1000.0
        finally:
            run.free()
        result = run.result(prompt_ms, generate_ms)
        log.info(
            "generated %d tokens in %d steps (%.1f ms/step), prompt %d tokens in %.0f ms",
            result.generated_tokens,
            result.steps,
            result.ms_per_step,
            result.prompt_tokens,
            prompt_ms,
        )
        return result


def _sampler(params: SamplingParams, seed: int) -> L.llama_sampler_p:
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


class _GenerationRun:
    """The state of one :meth:`Engine.generate` call: per-candidate streams, samplers and positions."""

    def __init__(
        self,
        model: LlamaModel,
        ctx: LlamaContext,
        prompts: list[Prompt],
        params: SamplingParams,
        seed: int,
        on_piece: PieceFn | None,
        cancel: CancelFn | None,
        ignore_eog: bool,
    ) -> None:
        n = params.n
        self.model, self.ctx, self.prompts, self.params, self.seed = model, ctx, prompts, params, seed
        self.on_piece, self.cancel, self.ignore_eog = on_piece, cancel, ignore_eog
        self.owner = [i % len(prompts) for i in range(n)]
        self.streams = [TextStream(prompts[self.owner[i]].stops) for i in range(n)]
        self.chains = [_sampler(params, (seed + i) % (2**32 - 1)) for i in range(n)]
        self.counts = [0] * n
        self.last = [0] * n
        self.pos = [len(prompts[self.owner[i]].tokens) for i in range(n)]
        self.finish: list[str | None] = [None] * n
        self.cancelled = False
        self.prompt_decoded = 0
        self.steps = 0

    def _should_stop(self) -> bool:
        if self.cancel is not None and self.cancel():
            self.cancelled = True
        return self.cancelled

    def decode_prompts(self) -> None:
        """Every distinct prompt once (chunked batches), sample each candidate's first token, then copy
        each prompt's cache to the sequences that continue it."""
        flat = [(p_idx, j, tok) for p_idx, p in enumerate(self.prompts) for j, tok in enumerate(p.tokens)]
        self.ctx.set_abort(self.cancel)
        try:
            for start in range(0, len(flat), N_BATCH):
                if self._should_stop():
                    return
                chunk = flat[start : start + N_BATCH]
                ends: list[tuple[int, int]] = []
                for k, (p_idx, j, tok) in enumerate(chunk):
                    is_last = j == len(self.prompts[p_idx].tokens) - 1
                    self.ctx.put(k, tok, j, p_idx, is_last)
                    if is_last:
                        ends.append((p_idx, k))
                rc = self.ctx.decode(len(chunk))
                if rc == 2 or self._should_stop():
                    self.cancelled = True
                    return
                if rc != 0:
                    raise ModelError(f"llama.cpp failed to decode the prompt (code {rc})")
                self.prompt_decoded += len(chunk)
                for p_idx, k in ends:
                    for i, owner in enumerate(self.owner):
                        if owner == p_idx:
                            self.last[i] = L.llama_sampler_sample(self.chains[i], self.ctx.ptr, k)
        finally:
            self.ctx.set_abort(None)
        for i in range(len(self.prompts), self.params.n):
            L.llama_memory_seq_cp(self.ctx.memory, self.owner[i], i, -1, -1)

    def step_loop(self) -> None:
        """One token per live sequence per step, in one batch, until every sequence has finished."""
        if self.cancelled:
            return
        for i in range(self.params.n):
            self._accept(i, self.last[i])
        live = [i for i in range(self.params.n) if self.finish[i] is None]
        while live and not self._should_stop():
            for b, i in enumerate(live):
                self.ctx.put(b, self.last[i], self.pos[i], i, True)
                self.pos[i] += 1
            rc = self.ctx.decode(len(live))
            if rc != 0:
                raise ModelError(f"llama.cpp failed to decode (code {rc}; out of context memory?)")
            self.steps += 1
            for b, i in enumerate(live):
                self._accept(i, L.llama_sampler_sample(self.chains[i], self.ctx.ptr, b))
            live = [i for i in live if self.finish[i] is None]

    def _accept(self, i: int, token: int) -> None:
        """Record candidate i's sampled token; end it at EOG, a stop text or max tokens."""
        if self.model.is_eog(token) and not self.ignore_eog:
            self.finish[i] = "eog"
        else:
            self.counts[i] += 1
            self.last[i] = token
            self._emit(i, self.streams[i].feed(self.model.piece(token)))
            if self.streams[i].stopped:
                self.finish[i] = "stop"
            elif self.counts[i] >= self.params.max_tokens:
                self.finish[i] = "length"
        if self.finish[i] is not None:
            self._emit(i, self.streams[i].finish())

    def _emit(self, i: int, piece: str) -> None:
        if piece and self.on_piece:
            self.on_piece(i, piece)

    def free(self) -> None:
        for chain in self.chains:
            L.llama_sampler_free(chain)
        self.chains = []

    def result(self, prompt_ms: float, generate_ms: float) -> GenerationResult:
        candidates = []
        for i in range(self.params.n):
            if self.finish[i] is None:
                self.finish[i] = "cancelled"
                self.streams[i].finish()
            template = self.prompts[self.owner[i]].template
            candidates.append(Candidate(i, template, self.streams[i].text, self.counts[i], self.finish[i] or ""))
        return GenerationResult(
            candidates=candidates,
            seed=self.seed,
            prompt_tokens=self.prompt_decoded,
            generated_tokens=sum(self.counts),
            steps=self.steps,
            prompt_ms=prompt_ms,
            generate_ms=generate_ms,
            cancelled=self.cancelled,
        )
