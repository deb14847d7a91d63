"""A GGUF model loaded once, ready to sample candidates for many requests.

:meth:`Engine.generate` samples one request's N candidates: a job of the continuous-batching scheduler
(:mod:`opening.llama.continuous`) with one slot. :meth:`Engine.generate_many` keeps K requests in flight
in one context (batch mode). How a request runs, in both:

1. The prompt phase: candidate ``i`` continues prompt ``i % P`` (P = distinct prompts, one per template).
   Each distinct prompt is decoded once, on its own sequence, with logits only at its last token; its
   finished cache is then copied (``llama_memory_seq_cp``) to every sequence that continues it.
2. The steps: every decode carries one token per live sequence, and each sequence samples its next
   token with its own sampler chain (top-k → top-p → temperature → seeded dist).

A sequence ends at an end-of-generation token, at one of its prompt's stop texts, at max tokens or (batch
mode) when its fate is sealed. The cancel callable is checked between steps (and inside a prompt decode,
through llama.cpp's abort callback).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import llama_cpp.llama_cpp as L

from opening.base.errors import BadInput
from opening.base.limits import CTX_ROUND, DEFAULT_CONTEXT_LIMIT
from opening.base.progress import CancelFn, StageFn
from opening.base.sampling import MAX_CANDIDATES, SamplingParams
from opening.llama.backend import clamp_threads, default_threads
from opening.llama.context import LlamaContext
from opening.llama.continuous import Candidate, DoneFn, GenerationResult, Job, PieceFn, Prompt, Scheduler, SealFn
from opening.llama.model import LlamaModel

log = logging.getLogger(__name__)

__all__ = ["Candidate", "Engine", "EngineSettings", "GenerationResult", "Job", "PieceFn", "Prompt"]


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
        self._kept: tuple[LlamaContext, tuple[int, ...]] | None = None
        """The generation context and the prompt head its last sequence holds (see :meth:`generate`)."""
        self.scorer: Engine | None = None
        """A second, smaller model that scores this one's candidates (``--scorer``); None: this one scores.
        Closed with this engine."""

    @property
    def scoring(self) -> Engine:
        """The engine that scores this one's candidates: the scorer when one is attached, else itself."""
        return self.scorer if self.scorer is not None else self

    @property
    def load_ms(self) -> float:
        return self.model.load_ms

    @property
    def context_limit(self) -> int:
        trained = self.model.n_ctx_train
        return min(self.settings.context_limit, trained) if trained > 0 else self.settings.context_limit

    def close(self) -> None:
        self._kept = None
        if self.scorer is not None:
            self.scorer.close()
            self.scorer = None
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
                "text.too_long_for_context",
                prompt=longest,
                more=params.max_tokens,
                limit=limit,
                over=longest + params.max_tokens - limit,
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

    def new_seed(self, params: SamplingParams) -> int:
        return params.seed if params.seed is not None else secrets.randbelow(2**32 - 1)

    def job(
        self,
        prompts: list[Prompt],
        params: SamplingParams,
        *,
        tag: object = None,
        seal: SealFn | None = None,
        on_piece: PieceFn | None = None,
    ) -> Job:
        """A checked job: parameters valid, prompts cut to N, prompt + max tokens within the context."""
        params.validate()
        if not prompts:
            raise BadInput("llama.no_prompt")
        used = prompts[: min(params.n, len(prompts))]
        self.check_fits(used, params)
        return Job(used, params, self.new_seed(params), tag, seal, on_piece)

    def generate(
        self,
        prompts: list[Prompt],
        params: SamplingParams,
        *,
        on_piece: PieceFn | None = None,
        cancel: CancelFn | None = None,
        ignore_eog: bool = False,
        seal: SealFn | None = None,
        share_prefix: bool = True,
    ) -> GenerationResult:
        """Sample ``params.n`` candidates; ``ignore_eog`` (for benchmarks) runs every one to max tokens;
        ``seal`` stops a candidate whose fate it says is sealed; ``share_prefix=False`` (for benchmarks)
        decodes every prompt whole instead of their shared start once.

        The prompts' head (:attr:`Prompt.head`: the system turn and examples, the same for every text of
        one language and kind) stays decoded on the context's last sequence after the run; the next run
        with the same head copies it instead of decoding it again (the window, the API and eval-choice
        run many texts on one engine; ``result.cached_tokens`` says how many). The head is always decoded
        in decodes of its own, so a run that reuses it decodes the rest exactly as a run that does not:
        the same seed samples the same candidates either way."""
        job = self.job(prompts, params, on_piece=on_piece, seal=seal)
        head = job.head if share_prefix else ()
        # room for the most candidates a run may ask for, so that another N keeps the context (and its head)
        ctx = self.context(job.cells + 1 + len(head), max(params.n, MAX_CANDIDATES) + 1)
        keep_seq = ctx.n_seq - 1  # the last sequence keeps the head between runs
        kept = self._kept[1] if self._kept is not None and self._kept[0] is ctx else ()
        reuse = len(head) if head and kept == head else 0
        for seq in range(keep_seq):
            L.llama_memory_seq_rm(ctx.memory, seq, -1, -1)
        if not reuse:
            L.llama_memory_seq_rm(ctx.memory, keep_seq, -1, -1)
            self._kept = None
        results: list[GenerationResult] = []
        scheduler = Scheduler(
            self.model, ctx, 1, params.n, ignore_eog=ignore_eog, share_prefix=share_prefix, keep_seq=keep_seq, reuse=reuse
        )
        scheduler.run([job], lambda _job, result: results.append(result), cancel=cancel)
        if scheduler.kept_head is not None:
            self._kept = (ctx, scheduler.kept_head)
        if not results:  # cancelled before it started
            cands = [Candidate(i, job.prompts[i % len(job.prompts)].template, "", 0, "cancelled") for i in range(params.n)]
            return GenerationResult(cands, job.seed, 0, 0, 0, 0.0, 0.0, cancelled=True)
        result = results[0]
        log.info(
            "generated %d tokens in %d steps (%.1f ms/step), prompt %d tokens in %.0f ms",
            result.generated_tokens,
            result.steps,
            result.ms_per_step,
            result.prompt_tokens,
            result.prompt_ms,
        )
        return result

    def generate_many(
        self,
        jobs: Iterable[Job],
        on_done: DoneFn,
        *,
        slots: int,
        per_slot: int,
        cells: int,
        stop: CancelFn | None = None,
        cancel: CancelFn | None = None,
        ignore_eog: bool = False,
    ) -> Scheduler:
        """Run ``jobs`` with up to ``slots`` in flight (continuous batching) in a context of ``cells`` KV
        cells; ``on_done`` gets each job's result as it finishes. Returns the scheduler (its step count)."""
        ctx = self.context(cells, slots * per_slot)
        ctx.clear()
        self._kept = None  # the kept head is gone with the rest
        scheduler = Scheduler(self.model, ctx, slots, per_slot, ignore_eog=ignore_eog)
        scheduler.run(jobs, on_done, stop=stop, cancel=cancel)
        return scheduler
