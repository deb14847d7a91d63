"""Continuous batching: the candidates of several requests sampled together in one llama.cpp context.

A :class:`Job` is one request: its distinct prompts, sampling parameters and seed. The scheduler keeps up
to K jobs in flight, each in a *slot* of N sequences (slot ``s`` owns sequences ``s·N … s·N+N-1``):

* Every decode carries one token for each live candidate of every slot and, to fill the batch up to
  ``N_BATCH``, prompt tokens of the jobs being admitted. When a job finishes, the next job's prompt is
  decoded in the same steps that continue the others; the batch stays full.
* Within a slot, candidate ``i`` continues prompt ``i % P``. Each distinct prompt is decoded once, on
  the slot's sequence ``p``; when its last token is in, the candidates that continue it sample their
  first token from its logits and get a copy of its cache (``llama_memory_seq_cp``; ``kv_unified``
  shares the cells). The tokens the prompts share from their start (a system turn, examples, the text:
  the instruct-model prompts put the text before the question that differs) are decoded once, each as
  one batch token carrying all P sequences, in one cell.
* A finished job's sequences are removed (``llama_memory_seq_rm``): its cells serve the next job. A job
  is admitted only while the cells it may use (its prompts + N × max tokens) fit beside the others'.

A candidate ends at an end-of-generation token, at one of its prompt's stop texts, at max tokens, or —
``finish_reason == "sealed"`` — when its job's ``seal`` callable says, from the text so far, that more
tokens cannot change what becomes of it (checked every :data:`SEAL_EVERY` tokens).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import llama_cpp.llama_cpp as L

from opening.base.errors import ModelError
from opening.base.limits import N_BATCH
from opening.base.progress import CancelFn
from opening.base.sampling import SamplingParams
from opening.llama.context import LlamaContext
from opening.llama.model import LlamaModel
from opening.llama.text_stream import TextStream

log = logging.getLogger(__name__)

PieceFn = Callable[[int, str], None]
"""Streaming callback: (candidate index, new text)."""
SealFn = Callable[[str, int], bool]
"""(candidate text so far, tokens it may still generate) → True when more tokens cannot change its fate."""
SHARED = -1
"""The "prompt" of a pending token that every prompt of the job starts with (decoded once for all)."""
SEAL_EVERY = 8
"""Tokens between two seal checks of one candidate (the check reads the whole text so far)."""


@dataclass(frozen=True)
class Prompt:
    template: str
    """``family/name``, e.g. ``opening/instruction``: recorded with every candidate."""
    tokens: tuple[int, ...]
    stops: tuple[str, ...]
    head: int = 0
    """Leading tokens that do not depend on the text (the system turn and the examples of the instruct
    prompts): the same for every text of one language and kind, so a warm engine keeps them decoded from
    one run to the next (:meth:`opening.llama.engine.Engine.generate`)."""


@dataclass
class Candidate:
    index: int
    template: str
    text: str
    tokens: int
    finish_reason: str
    """``eog`` (end of generation), ``stop`` (a stop text), ``length`` (max tokens), ``sealed`` (its fate
    was settled early, see the module's docstring) or ``cancelled``."""
    tokens_left: int = 0
    """For a sealed candidate: the tokens it could still have generated (an upper bound of the saving)."""


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
    cached_tokens: int = 0
    """Prompt tokens not decoded because the engine kept them from an earlier run (the prompts' head)."""

    @property
    def ms_per_step(self) -> float:
        return self.generate_ms / self.steps if self.steps else 0.0


@dataclass
class Job:
    prompts: list[Prompt]
    """The distinct prompts, at most ``params.n`` of them."""
    params: SamplingParams
    seed: int
    tag: Any = None
    """The caller's own reference (e.g. the passage), handed back with the result."""
    seal: SealFn | None = None
    on_piece: PieceFn | None = None

    @property
    def cells(self) -> int:
        """KV cells the job may use: each distinct prompt once, plus N × max tokens."""
        return sum(len(p.tokens) for p in self.prompts) + self.params.n * self.params.max_tokens

    @property
    def head(self) -> tuple[int, ...]:
        """The head every prompt shares (:attr:`Prompt.head`), each prompt keeping a token after it; () if none."""
        n = min(p.head for p in self.prompts)
        first = self.prompts[0].tokens[:n]
        if n == 0 or any(len(p.tokens) <= n or p.tokens[:n] != first for p in self.prompts):
            return ()
        return first


DoneFn = Callable[[Job, GenerationResult], None]


def shared_prefix(prompts: list[tuple[int, ...]]) -> int:
    """How many tokens every prompt starts with, leaving each prompt at least its last token of its own
    (its logits are the ones its candidates sample from). 0 for a single prompt: nothing to share."""
    if len(prompts) < 2:
        return 0
    limit = min(len(p) for p in prompts) - 1
    n = 0
    while n < limit and all(p[n] == prompts[0][n] for p in prompts[1:]):
        n += 1
    return n


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


@dataclass
class _Slot:
    """One job in flight: its candidates' streams, samplers and positions, and its prompt tokens still to decode."""

    job: Job
    base: int
    model: LlamaModel
    ignore_eog: bool
    share_prefix: bool = True
    keep_seq: int | None = None
    """The sequence that keeps the prompts' head between runs (single runs only; None: not kept)."""
    reuse: int = 0
    """Head tokens already decoded on ``keep_seq`` (copied, not decoded)."""
    owner: list[int] = field(init=False)
    streams: list[TextStream] = field(init=False)
    chains: list[L.llama_sampler_p] = field(init=False)
    counts: list[int] = field(init=False)
    last: list[int] = field(init=False)
    pos: list[int] = field(init=False)
    finish: list[str | None] = field(init=False)
    left: list[int] = field(init=False)
    started: list[bool] = field(init=False)
    pending: deque[tuple[int, int, int]] = field(init=False)
    head: int = field(init=False)
    """Head tokens (kept in ``keep_seq``; their decodes hold nothing else, so a warm run's are the same)."""
    prompt_decoded: int = 0
    steps: int = 0
    t_admit: float = 0.0
    t_first: float | None = None

    def __post_init__(self) -> None:
        job, n = self.job, self.job.params.n
        self.owner = [i % len(job.prompts) for i in range(n)]
        self.streams = [TextStream(job.prompts[self.owner[i]].stops) for i in range(n)]
        self.chains = [_sampler(job.params, (job.seed + i) % (2**32 - 1)) for i in range(n)]
        self.counts, self.last, self.left = [0] * n, [0] * n, [0] * n
        self.pos = [len(job.prompts[self.owner[i]].tokens) for i in range(n)]
        self.finish = [None] * n
        self.started = [False] * n
        shared = shared_prefix([p.tokens for p in job.prompts]) if self.share_prefix else 0
        head = len(job.head) if self.keep_seq is not None else 0
        self.head = head if shared >= head or len(job.prompts) == 1 else 0  # one sequence holds all of it
        skip = self.reuse if self.head else 0
        self.pending = deque((SHARED, j, tok) for j, tok in enumerate(job.prompts[0].tokens[:shared]) if j >= skip)
        self.pending.extend(
            (p, j, tok)
            for p, prompt in enumerate(job.prompts)
            for j, tok in enumerate(prompt.tokens)
            if j >= shared and j >= skip
        )
        self.t_admit = time.perf_counter()

    @property
    def n(self) -> int:
        return self.job.params.n

    def attach_head(self, ctx: LlamaContext) -> None:
        """The reused head: the kept cells become the start of every prompt's sequence."""
        if self.head and self.reuse and self.keep_seq is not None:
            for q in range(len(self.job.prompts)):
                L.llama_memory_seq_cp(ctx.memory, self.keep_seq, self.base + q, 0, self.reuse)

    def ends_head(self, p: int, j: int) -> bool:
        """This pending token is the head's last: its decode ends there."""
        return bool(self.head) and j == self.head - 1 and p in (SHARED, 0)

    def prompt_seqs(self, p: int) -> int | tuple[int, ...]:
        """The sequence(s) a pending token of prompt ``p`` (or :data:`SHARED`) is decoded on."""
        if p == SHARED:
            return tuple(self.base + q for q in range(len(self.job.prompts)))
        return self.base + p

    def live(self) -> list[int]:
        return [i for i in range(self.n) if self.started[i] and self.finish[i] is None]

    @property
    def done(self) -> bool:
        return not self.pending and all(f is not None for f in self.finish)

    def prompt_ready(self, ctx: LlamaContext, p: int, batch_index: int) -> None:
        """Prompt ``p``'s last token is decoded: its candidates sample their first token and share its cache."""
        for i, owner in enumerate(self.owner):
            if owner != p:
                continue
            if i != p:
                L.llama_memory_seq_cp(ctx.memory, self.base + p, self.base + i, -1, -1)
            self.started[i] = True
            self.accept(i, L.llama_sampler_sample(self.chains[i], ctx.ptr, batch_index))
        if not self.pending and self.t_first is None:
            self.t_first = time.perf_counter()

    def accept(self, i: int, token: int) -> None:
        """Record candidate i's sampled token; end it at EOG, a stop text, max tokens or a seal."""
        params = self.job.params
        if self.model.is_eog(token) and not self.ignore_eog:
            self.finish[i] = "eog"
        else:
            self.counts[i] += 1
            self.last[i] = token
            self._emit(i, self.streams[i].feed(self.model.piece(token)))
            left = params.max_tokens - self.counts[i]
            if self.streams[i].stopped:
                self.finish[i] = "stop"
            elif left <= 0:
                self.finish[i] = "length"
            elif self.job.seal is not None and self.counts[i] % SEAL_EVERY == 0 and self.job.seal(self.streams[i].text, left):
                self.finish[i] = "sealed"
                self.left[i] = left
        if self.finish[i] is not None:
            self._emit(i, self.streams[i].finish())

    def _emit(self, i: int, piece: str) -> None:
        if piece and self.job.on_piece:
            self.job.on_piece(i, piece)

    def release(self, ctx: LlamaContext) -> None:
        for i in range(self.n):
            L.llama_memory_seq_rm(ctx.memory, self.base + i, -1, -1)
        for chain in self.chains:
            L.llama_sampler_free(chain)
        self.chains = []

    def result(self, cancelled: bool = False) -> GenerationResult:
        now = time.perf_counter()
        first = self.t_first if self.t_first is not None else now
        candidates = []
        for i in range(self.n):
            if self.finish[i] is None:
                self.finish[i] = "cancelled"
                self.streams[i].finish()
            template = self.job.prompts[self.owner[i]].template
            candidates.append(Candidate(i, template, self.streams[i].text, self.counts[i], self.finish[i] or "", self.left[i]))
        return GenerationResult(
            candidates=candidates,
            seed=self.job.seed,
            prompt_tokens=self.prompt_decoded,
            generated_tokens=sum(self.counts),
            steps=self.steps,
            prompt_ms=(first - self.t_admit) * 1000.0,
            generate_ms=(now - first) * 1000.0,
            cancelled=cancelled,
            cached_tokens=self.reuse if self.head else 0,
        )


class Scheduler:
    """Runs jobs through ``slots`` slots of ``per_slot`` sequences in one context of ``capacity`` cells."""

    def __init__(
        self,
        model: LlamaModel,
        ctx: LlamaContext,
        slots: int,
        per_slot: int,
        *,
        ignore_eog: bool = False,
        share_prefix: bool = True,
        keep_seq: int | None = None,
        reuse: int = 0,
    ) -> None:
        """``ignore_eog`` and ``share_prefix=False`` (decode each prompt whole) are for benchmarks.
        ``keep_seq`` (one slot): the sequence that keeps the prompts' head for the next run, holding
        ``reuse`` head tokens from the last one (:meth:`opening.llama.engine.Engine.generate`)."""
        if slots * per_slot > ctx.n_seq or (keep_seq is not None and (slots != 1 or keep_seq < per_slot)):
            raise ValueError(f"{slots} slots of {per_slot} sequences need a context of {slots * per_slot} sequences")
        self.model, self.ctx, self.ignore_eog, self.share_prefix = model, ctx, ignore_eog, share_prefix
        self.keep_seq, self.reuse = keep_seq, reuse
        self.kept_head: tuple[int, ...] | None = None
        """The head now on ``keep_seq`` (set once its last token is decoded, or when it was reused)."""
        self.per_slot = per_slot
        self.slots: list[_Slot | None] = [None] * slots
        self.capacity = ctx.n_ctx - 1
        self.steps = 0
        """Decodes made (each carries one token of every live candidate)."""
        self.cancelled = False

    def run(
        self,
        jobs: Iterable[Job],
        on_done: DoneFn,
        *,
        stop: CancelFn | None = None,
        cancel: CancelFn | None = None,
    ) -> bool:
        """Run ``jobs`` in order, ``on_done`` for each as it finishes (in finishing order). ``stop``: admit no
        more jobs and finish those in flight; ``cancel``: abandon those too (each is reported with
        ``cancelled=True``; jobs not started yet are not reported). Returns True when it was cancelled.
        A job too big for the context on its own raises :class:`ValueError` before anything runs for it."""
        try:
            return self._run(iter(jobs), on_done, stop, cancel)
        finally:  # an error (a full disk in on_done, a failed decode): free what is in flight
            for s, slot in enumerate(self.slots):
                if slot is not None:
                    slot.release(self.ctx)
                    self.slots[s] = None

    def _run(self, queue: Any, on_done: DoneFn, stop: CancelFn | None, cancel: CancelFn | None) -> bool:
        waiting: Job | None = None
        exhausted = False
        while True:
            cancelled = cancel is not None and cancel()
            if not exhausted and not cancelled and not (stop is not None and stop()):
                waiting, exhausted = self._admit(queue, waiting)
            if cancelled:
                self._abandon(on_done)
                return True
            if not any(self.slots):
                return False
            if not self._step(cancel):
                self._abandon(on_done)
                return True
            for s, slot in enumerate(self.slots):
                if slot is not None and slot.done:
                    slot.release(self.ctx)
                    self.slots[s] = None
                    on_done(slot.job, slot.result())

    def _admit(self, queue: Any, waiting: Job | None) -> tuple[Job | None, bool]:
        """Fill free slots while the next job's cells fit; returns the job left waiting and whether the queue ended."""
        for s in range(len(self.slots)):
            if self.slots[s] is not None:
                continue
            job = waiting if waiting is not None else next(queue, None)
            if job is None:
                return None, True
            if job.params.n > self.per_slot or job.cells > self.capacity:
                raise ValueError(f"a job of {job.params.n} candidates and {job.cells} cells does not fit a slot")
            if job.cells + self._reserved() > self.capacity:
                return job, False
            slot = _Slot(job, s * self.per_slot, self.model, self.ignore_eog, self.share_prefix, self.keep_seq, self.reuse)
            slot.attach_head(self.ctx)
            if slot.head and slot.reuse:
                self.kept_head = job.head
            self.slots[s] = slot
            waiting = None
        return waiting, False

    def _reserved(self) -> int:
        return sum(slot.job.cells for slot in self.slots if slot is not None)

    def _step(self, cancel: CancelFn | None) -> bool:
        """One decode: a token per live candidate, then prompt tokens up to the batch size. False: cancelled."""
        ctx = self.ctx
        active = [slot for slot in self.slots if slot is not None]
        stepping = [(slot, i) for slot in active for i in slot.live()]
        budget = N_BATCH - len(stepping)
        while True:
            for b, (slot, i) in enumerate(stepping):
                ctx.put(b, slot.last[i], slot.pos[i], slot.base + i, True)
            taken: list[tuple[_Slot, int, int, int]] = []  # (slot, prompt, position, token)
            for slot in active:
                while slot.pending and len(taken) < budget:
                    taken.append((slot, *slot.pending.popleft()))
                    if slot.ends_head(taken[-1][1], taken[-1][2]):
                        break  # the head's decodes hold nothing else: cold and warm runs decode the rest alike
            ends: list[tuple[_Slot, int, int]] = []
            for k, (slot, p, j, tok) in enumerate(taken, start=len(stepping)):
                is_last = p != SHARED and j == len(slot.job.prompts[p].tokens) - 1
                ctx.put(k, tok, j, slot.prompt_seqs(p), is_last)
                if is_last:
                    ends.append((slot, p, k))
            if taken:
                ctx.set_abort(cancel)  # a long prompt chunk takes seconds on a big model
            rc = ctx.decode(len(stepping) + len(taken))
            if taken:
                ctx.set_abort(None)
            if rc == 1 and len(taken) > 1:
                # no room for this many cells in one piece (the freed cells are scattered): retry with half the prompt tokens
                for slot, p, j, tok in reversed(taken):
                    slot.pending.appendleft((p, j, tok))
                budget = len(taken) // 2
                continue
            break
        if rc == 2 or (cancel is not None and cancel()):
            return False
        if rc != 0:
            raise ModelError("llama.decode_failed", rc=rc)
        self.steps += 1
        for slot, p, j, _tok in taken:
            slot.prompt_decoded += 1
            if slot.ends_head(p, j) and slot.keep_seq is not None:  # keep the head for the next run
                L.llama_memory_seq_rm(ctx.memory, slot.keep_seq, -1, -1)
                L.llama_memory_seq_cp(ctx.memory, slot.base, slot.keep_seq, 0, slot.head)
                self.kept_head = slot.job.head
        stepped: set[int] = set()
        for b, (slot, i) in enumerate(stepping):
            slot.pos[i] += 1
            if id(slot) not in stepped:
                slot.steps += 1
                stepped.add(id(slot))
            slot.accept(i, L.llama_sampler_sample(slot.chains[i], ctx.ptr, b))
        for slot, p, k in ends:
            slot.prompt_ready(ctx, p, k)
        return True

    def _abandon(self, on_done: DoneFn) -> None:
        self.cancelled = True
        for s, slot in enumerate(self.slots):
            if slot is not None:
                slot.release(self.ctx)
                self.slots[s] = None
                on_done(slot.job, slot.result(cancelled=True))
