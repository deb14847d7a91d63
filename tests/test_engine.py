"""The engine on a real GGUF (SmolLM2-135M-Instruct from PyPI) in real llama.cpp."""

from __future__ import annotations

import dataclasses

import pytest

from conftest import HAPPY, SCRIPTS, XIAOMA
from opening.llama.continuous import shared_prefix
from opening.llama.engine import SamplingParams
from opening.base.errors import BadInput
from opening.pipeline.request import Request, generate_candidates
from opening.llama.engine import Engine, EngineSettings, Prompt
from opening.pipeline.templates import build_prompts


def _texts(result) -> list[tuple[str, str]]:
    return [(c.template, c.text) for c in result.candidates]


def test_same_seed_same_candidates_other_seed_others(engine) -> None:
    params = dict(n=5, max_tokens=32, temperature=0.8)
    a = generate_candidates(engine, Request(HAPPY, SamplingParams(seed=7, **params)))
    b = generate_candidates(engine, Request(HAPPY, SamplingParams(seed=7, **params)))
    c = generate_candidates(engine, Request(HAPPY, SamplingParams(seed=8, **params)))
    assert _texts(a) == _texts(b)
    assert _texts(a) != _texts(c)
    assert a.seed == 7
    assert len(a.candidates) == 5


def test_candidates_are_spread_over_the_templates(engine) -> None:
    result = generate_candidates(engine, Request(HAPPY, SamplingParams(n=5, max_tokens=8, seed=1)))
    assert [c.template for c in result.candidates] == [  # "happy" is a label: two of five with an input
        "chat/input", "chat/query", "chat/instruction", "chat/input", "chat/query",
    ]
    opening = generate_candidates(engine, Request(HAPPY, SamplingParams(n=3, max_tokens=8, seed=1), family="opening"))
    assert [c.template for c in opening.candidates] == ["opening/instruction", "opening/message", "opening/query"]


def test_prompts_are_evaluated_once_per_template_not_per_candidate(engine) -> None:
    prompts = build_prompts(engine.model, HAPPY, "chat")
    lengths = [len(p.tokens) for p in prompts]

    def decoded(used: int) -> int:  # the prefix every used prompt shares once, then each one's own tokens
        shared = shared_prefix([p.tokens for p in prompts[:used]])
        return shared + sum(n - shared for n in lengths[:used])

    # temperature 1 over the whole vocabulary: nine 4-token samples collide into three texts with a
    # probability no CPU's rounding makes noticeable
    runs = {
        n: engine.generate(prompts, SamplingParams(n=n, max_tokens=4, seed=3, temperature=1.0, top_k=0, top_p=1.0))
        for n in (1, 3, 9)
    }
    # (decoded now, or kept decoded from the run before: the examples' head, the same for every label)
    assert runs[1].prompt_tokens + runs[1].cached_tokens == lengths[0]
    assert runs[3].prompt_tokens + runs[3].cached_tokens == decoded(3) < sum(lengths[:3])
    assert runs[9].prompt_tokens + runs[9].cached_tokens == decoded(len(prompts))  # 9 candidates, one evaluation per prompt
    assert runs[3].cached_tokens > 0 and runs[9].cached_tokens == runs[3].cached_tokens
    # candidates that share a prompt share its cache yet sample independently
    texts = [c.text for c in runs[9].candidates]
    assert len(set(texts)) > len(prompts)


def test_generation_stops_at_max_tokens(engine) -> None:
    result = generate_candidates(engine, Request(XIAOMA, SamplingParams(n=3, max_tokens=5, seed=2), family="opening"))
    for cand in result.candidates:
        assert cand.tokens <= 5
        assert cand.finish_reason in {"length", "eog", "stop", "sealed"}
    # with nothing else to end them (no stop texts, end of generation ignored), every candidate ends at 5
    prompts = [dataclasses.replace(p, stops=()) for p in build_prompts(engine.model, XIAOMA, "opening")]
    forced = engine.generate(prompts, SamplingParams(n=3, max_tokens=5, seed=2), ignore_eog=True)
    assert [(c.tokens, c.finish_reason) for c in forced.candidates] == [(5, "length")] * 3


def test_stop_text_cuts_candidate_exactly_before_it(scripted_path) -> None:
    """The scripted model writes SCRIPTS[0] or [1] on any CPU: a stop text inside it is always reached."""
    with Engine(scripted_path, EngineSettings(threads=2)) as engine:
        prompt = build_prompts(engine.model, XIAOMA, "opening")[0]
        greedy = SamplingParams(n=1, max_tokens=40, temperature=0.0)
        plain = engine.generate([prompt], greedy).candidates[0].text
        assert plain in SCRIPTS
        stop = plain[8:12]
        cut_at = plain.index(stop)
        stopped = engine.generate([Prompt(prompt.template, prompt.tokens, (stop,))], greedy).candidates[0]
    assert stopped.finish_reason == "stop"
    assert stopped.text == plain[:cut_at]


def test_streamed_pieces_add_up_to_each_candidate_and_chinese_is_intact(smol_path, tmp_path) -> None:
    """A scripted model writes 小马过河。 on any CPU, its characters split across byte-level tokens (the
    first token holds one character and a byte of the next): the stream must never show half a character."""
    from scripted_model import write_scripted_model

    model = write_scripted_model(tmp_path / "zh.gguf", smol_path, "小马过河。")
    pieces: dict[int, list[str]] = {}

    def on_piece(index: int, text: str) -> None:
        pieces.setdefault(index, []).append(text)

    with Engine(model, EngineSettings(threads=2)) as engine:
        result = generate_candidates(
            engine, Request(XIAOMA, SamplingParams(n=3, max_tokens=48, seed=5), family="opening"), on_piece=on_piece
        )
    for cand in result.candidates:
        assert cand.text == "小马过河。"
        assert "".join(pieces.get(cand.index, [])) == cand.text
        assert len(pieces[cand.index]) > 1  # streamed piece by piece, not at the end
    assert "\ufffd" not in "".join(p for ps in pieces.values() for p in ps)


def test_cancel_stops_within_one_step(engine) -> None:
    seen = 0
    stop_after = 6

    def on_piece(_i: int, _t: str) -> None:
        nonlocal seen
        seen += 1

    def cancel() -> bool:
        return seen >= stop_after

    result = generate_candidates(
        engine,
        Request(HAPPY, SamplingParams(n=3, max_tokens=500, seed=1), family="opening"),
        on_piece=on_piece,
        cancel=cancel,
    )
    assert result.cancelled
    # pieces arrive at most 3 per step (one per live sequence): one step after the flag, at most
    assert result.steps <= stop_after  # generous: the flag is set during step ceil(6/3) at the latest
    assert all(c.finish_reason in {"cancelled", "eog", "stop"} for c in result.candidates)
    assert result.generated_tokens < 3 * 500


def test_cancel_before_start_decodes_nothing(engine) -> None:
    result = generate_candidates(
        engine, Request(HAPPY, SamplingParams(n=2, max_tokens=50, seed=1)), cancel=lambda: True
    )
    assert result.cancelled and result.steps == 0 and result.generated_tokens == 0


def test_text_longer_than_the_context_is_refused_with_counts(engine) -> None:
    long_text = "word " * 9000
    with pytest.raises(BadInput) as info:
        generate_candidates(engine, Request(long_text, SamplingParams(n=1, max_tokens=16)))
    message = str(info.value)
    assert "too long" in message and "8192" in message
    assert "tokens" in message


@pytest.mark.parametrize(
    "params, fragment",
    [
        (SamplingParams(n=0), "between 1 and 10"),
        (SamplingParams(n=11), "between 1 and 10"),
        (SamplingParams(temperature=-0.1), "temperature"),
        (SamplingParams(top_p=0.0), "top-p"),
        (SamplingParams(top_p=1.5), "top-p"),
        (SamplingParams(top_k=-1), "top-k"),
        (SamplingParams(max_tokens=0), "max tokens"),
    ],
)
def test_bad_parameters_are_refused(engine, params: SamplingParams, fragment: str) -> None:
    with pytest.raises(BadInput, match=fragment):
        generate_candidates(engine, Request(HAPPY, params))


@pytest.mark.parametrize("text", ["", "   \n\t", "a\x00b"])
def test_empty_or_binary_text_is_refused(engine, text: str) -> None:
    with pytest.raises(BadInput):
        generate_candidates(engine, Request(text))


def test_timings_and_counts_are_reported(engine) -> None:
    result = generate_candidates(engine, Request(HAPPY, SamplingParams(n=2, max_tokens=8, seed=4)))
    assert result.prompt_ms > 0 and result.generate_ms > 0
    assert result.generated_tokens == sum(c.tokens for c in result.candidates)
    assert 1 <= result.steps <= 8
    assert engine.load_ms > 0
