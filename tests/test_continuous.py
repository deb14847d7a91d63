"""Continuous batching (opening.llama.continuous, Engine.generate_many) and the batch plan, on real SmolLM2.

The reference for every job run K at a time is the same job run alone (Engine.generate): greedy on the
F32 model, a seq-id or position mix-up between slots would change the text at once.
"""

from __future__ import annotations

import dataclasses
import threading

import pytest

from conftest import HAPPY, XIAOMA
from opening.base.sampling import SamplingParams
from opening.llama.context import LlamaContext
from opening.llama.continuous import Scheduler
from opening.llama.engine import GenerationResult, Job
from opening.pipeline.batch_plan import choose_parallel, estimate_seconds, job_cells
from opening.pipeline.templates import build_prompts

TEXTS = [
    HAPPY,
    XIAOMA,
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen inside the chloroplasts of plant cells.",
    "To make tea, boil water, pour it over the leaves, wait three minutes and remove the leaves.",
    "The Treaty of Westphalia ended the Thirty Years' War in 1648 and shaped the idea of state sovereignty.",
]


def _jobs(engine, params: SamplingParams) -> list[Job]:
    return [engine.job(build_prompts(engine.model, t, "opening"), params, tag=i) for i, t in enumerate(TEXTS)]


def _run_many(engine, jobs: list[Job], k: int, **kwargs) -> tuple[dict[int, GenerationResult], list[int]]:
    cells = max(j.cells for j in jobs)
    got: dict[int, GenerationResult] = {}
    order: list[int] = []

    def done(job: Job, result: GenerationResult) -> None:
        got[job.tag] = result
        order.append(job.tag)

    engine.generate_many(jobs, done, slots=k, per_slot=jobs[0].params.n, cells=k * cells + 1, **kwargs)
    return got, order


def test_jobs_in_flight_together_give_what_each_gives_alone(f32_engine) -> None:
    params = SamplingParams(n=3, max_tokens=24, temperature=0.0, seed=1)
    alone = {i: f32_engine.generate(j.prompts, params) for i, j in enumerate(_jobs(f32_engine, params))}
    together, order = _run_many(f32_engine, _jobs(f32_engine, params), 3)
    assert sorted(order) == list(range(len(TEXTS)))  # every job reported once
    for i in range(len(TEXTS)):
        assert [c.text for c in together[i].candidates] == [c.text for c in alone[i].candidates], TEXTS[i][:30]
        assert [c.finish_reason for c in together[i].candidates] == [c.finish_reason for c in alone[i].candidates]
        assert together[i].prompt_tokens == alone[i].prompt_tokens


def test_more_jobs_in_flight_take_fewer_decodes(engine) -> None:
    params = SamplingParams(n=3, max_tokens=16, seed=2)
    steps = {}
    for k in (1, 3):
        jobs = _jobs(engine, params)
        cells = max(j.cells for j in jobs)
        scheduler = engine.generate_many(jobs, lambda *_: None, slots=k, per_slot=3, cells=k * cells + 1, ignore_eog=True)
        steps[k] = scheduler.steps
    # every candidate runs 16 tokens: alone, 5 jobs take 5 × 16 steps plus their prompt chunks
    assert 0 < steps[3] < 0.6 * steps[1]


def test_a_job_waits_while_the_cells_in_use_leave_no_room(engine) -> None:
    params = SamplingParams(n=2, max_tokens=8, seed=3)
    jobs = _jobs(engine, params)
    cells = max(j.cells for j in jobs)
    # three slots but room for one job's cells: they run one after another, all of them
    got, order = {}, []
    engine.generate_many(
        jobs,
        lambda job, result: (got.__setitem__(job.tag, result), order.append(job.tag)),
        slots=3,
        per_slot=2,
        cells=cells + 1,
    )
    assert order == list(range(len(TEXTS)))


def test_a_job_too_big_for_the_context_is_refused(engine) -> None:
    params = SamplingParams(n=2, max_tokens=256, seed=3)
    jobs = _jobs(engine, params)
    assert jobs[0].cells > 256
    ctx = LlamaContext(engine.model, 256, 4, engine.settings.threads)  # the engine's own may be bigger by now
    try:
        with pytest.raises(ValueError, match="does not fit"):
            Scheduler(engine.model, ctx, 2, 2).run(jobs, lambda *_: None)
    finally:
        ctx.close()


def test_stop_finishes_the_jobs_in_flight_and_cancel_abandons_them(engine) -> None:
    params = SamplingParams(n=2, max_tokens=12, seed=4)
    stop = threading.Event()
    got, order = {}, []

    def done(job: Job, result: GenerationResult) -> None:
        got[job.tag] = result
        order.append(job.tag)
        stop.set()  # after the first job ends, admit no more

    jobs = _jobs(engine, params)
    cells = max(j.cells for j in jobs)
    engine.generate_many(jobs, done, slots=2, per_slot=2, cells=2 * cells + 1, ignore_eog=True, stop=stop.is_set)
    assert sorted(order) == [0, 1]  # the two in flight finished, none admitted after
    assert all(not r.cancelled and all(c.finish_reason == "length" for c in r.candidates) for r in got.values())

    cancel = threading.Event()
    seen: list[GenerationResult] = []

    def first(job: Job, result: GenerationResult) -> None:
        seen.append(result)
        cancel.set()

    engine.generate_many(_jobs(engine, params), first, slots=2, per_slot=2, cells=2 * cells + 1, ignore_eog=True, cancel=cancel.is_set)
    assert [r.cancelled for r in seen] == [False, True]  # the other job in flight is reported cancelled
    assert "cancelled" in {c.finish_reason for c in seen[1].candidates}


def test_a_sealed_candidate_stops_early_and_says_how_much_it_saved(engine) -> None:
    """A seal that holds at its first check, with no stop text and no end of generation that could end a
    candidate first (what SmolLM2 samples differs between CPUs; a stop text it wrote once ended one early)."""
    params = SamplingParams(n=2, max_tokens=40, seed=5)
    prompts = [dataclasses.replace(p, stops=()) for p in build_prompts(engine.model, HAPPY, "opening")]
    job = engine.job(prompts, params, tag=0, seal=lambda text, left: True)
    got, _ = _run_many(engine, [job], 1, ignore_eog=True)
    for cand in got[0].candidates:
        assert cand.finish_reason == "sealed"
        assert cand.tokens == 8  # the first check, SEAL_EVERY tokens in
        assert cand.tokens_left == 40 - 8


def test_the_plan_picks_k_within_its_limits_and_estimates_time(engine) -> None:
    params = SamplingParams(n=3, max_tokens=32)
    cells = job_cells(engine, params, "opening", 200)
    assert cells > 3 * 200 + 3 * 32
    asked = choose_parallel(engine, params, cells, passages=10, requested=2)
    assert asked.k == 2 and asked.reason == "as asked"
    few = choose_parallel(engine, params, cells, passages=3)
    assert 0 < few.k <= 3
    assert few.speed is not None and set(few.speed.ms_per_step) >= {3}
    assert all(ms > 0 for ms in few.speed.ms_per_step.values())
    one = estimate_seconds(few.speed, 1, params, 3, [100] * 10)
    assert one > 0
    assert estimate_seconds(few.speed, 1, params, 3, [100] * 20) == pytest.approx(2 * one)
