"""The instruct-model prompts (language, examples, styles, the shared prefix), the junk rules and early stops
in every mode: on real llama.cpp, asserting what holds for any sampled tokens (docs/testing.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import HAPPY, XIAOMA
from opening.base.sampling import SamplingParams
from opening.llama.continuous import shared_prefix
from opening.pipeline import instruct_prompt, junk_rules
from opening.pipeline.candidate_clean import CleanCandidate
from opening.pipeline.candidate_filter import COPIES, judge, sealed
from opening.pipeline.request import Request, generate_candidates
from opening.pipeline.templates import build_prompts

DEV = Path(__file__).parent / "data" / "dev_pairs.jsonl"
CODE = "def add(a, b):\n    return a + b\n"


def test_the_texts_script_decides_the_language() -> None:
    assert instruct_prompt.text_language(HAPPY) == "en"
    assert instruct_prompt.text_language(XIAOMA) == "zh"
    assert instruct_prompt.text_language("我用 Python 的 numpy 库") == "zh"
    assert instruct_prompt.text_language("The word 你好 means hello in Chinese.") == "en"


@pytest.mark.parametrize(
    "text, kind",
    [
        (HAPPY, "label"),
        (CODE, "code"),
        ("- eggs\n- milk\n- bread", "list"),
        (XIAOMA, "answer"),
        ("Once upon a time " + "a fox walked far " * 20, "story"),
    ],
)
def test_examples_are_picked_by_kind_and_language(text: str, kind: str) -> None:
    assert instruct_prompt.text_kind(text) == kind
    lang = instruct_prompt.text_language(text)
    picked = instruct_prompt.pick_examples(text, lang)
    assert len(picked) == 2 and all(e.lang == lang for e in picked)
    same_kind = [e for e in instruct_prompt.bank() if e.lang == lang and e.kind == kind]
    if len(same_kind) >= 2:  # a story sees two stories, a label two labels
        assert picked == same_kind[:2]
    else:  # the one of its kind (if any) first, then another kind
        assert picked[0].kind == kind or not same_kind
        assert picked[0].kind != picked[1].kind


def test_the_questions_name_what_the_text_is_and_the_styles_fit_its_kind() -> None:
    story = "Once upon a time " + "a fox walked far " * 20
    assert instruct_prompt.question("instruction", "en", instruct_prompt.text_kind(story)).startswith(
        "What instruction was this story written for?"
    )
    assert instruct_prompt.question("query", "zh", "label").startswith("这个回答回答了什么问题")
    assert instruct_prompt.styles_for(story) == ("instruction", "message")  # a story is asked for, not derived
    assert instruct_prompt.styles_for(HAPPY)[0] == "input"  # a label: most often a task on an input
    assert instruct_prompt.styles_for(CODE) == instruct_prompt.STYLES
    every = instruct_prompt.fixed_texts()
    assert all("{noun}" not in q for q in every) and len(set(every)) == len(every)


def test_the_bank_holds_human_instructions_the_filter_keeps() -> None:
    examples = instruct_prompt.bank()
    assert {e.lang for e in examples} == {"en", "zh"} and len(examples) >= 12
    for e in examples:
        assert judge(CleanCandidate(e.instruction, e.input), e.output, "eog") is None, e


def test_chinese_texts_are_asked_in_chinese_and_every_style_shares_the_text(engine) -> None:
    for text, lang in ((XIAOMA, "zh"), (HAPPY, "en")):
        prompts = build_prompts(engine.model, text, "chat")
        assert [p.template for p in prompts] == [f"chat/{s}" for s in instruct_prompt.styles_for(text)]
        assert len(prompts) == len(set(instruct_prompt.styles_for(text))) >= 2
        rendered = [engine.model.detokenize(list(p.tokens)) for p in prompts]
        assert all(instruct_prompt.SYSTEM[lang][:20] in r for r in rendered)
        for style, r in zip(instruct_prompt.styles_for(text), rendered, strict=True):
            question = instruct_prompt.question(style, lang, instruct_prompt.text_kind(text))
            assert r.rstrip().endswith("assistant") and question in r
        # everything up to and including the text is the same tokens in every style: decoded once
        shared = shared_prefix([p.tokens for p in prompts])
        head = engine.model.detokenize(list(prompts[0].tokens[:shared]))
        assert text in head, (text, head[-80:])
        assert sum(len(p.tokens) - shared for p in prompts) < len(prompts[0].tokens)


def test_the_shared_prefix_is_decoded_once(engine) -> None:
    prompts = build_prompts(engine.model, XIAOMA, "chat")
    shared = shared_prefix([p.tokens for p in prompts])
    result = engine.generate(prompts, SamplingParams(n=4, max_tokens=4, seed=1))
    assert result.prompt_tokens + result.cached_tokens == shared + sum(len(p.tokens) - shared for p in prompts)
    assert len(result.candidates) == 4 and all(c.tokens > 0 for c in result.candidates)


def test_a_warm_engine_keeps_the_examples_decoded_and_samples_the_same(smol_path) -> None:
    """The head (system turn and examples) of one kind of text is kept decoded from one run to the next:
    the next label copies it instead of decoding it, and samples exactly what a cold engine samples."""
    from opening.llama.engine import Engine, EngineSettings

    params = SamplingParams(n=4, max_tokens=16, seed=5)
    with Engine(smol_path, EngineSettings(threads=2)) as cold:
        alone = cold.generate(build_prompts(cold.model, "sad", "chat"), params)
    with Engine(smol_path, EngineSettings(threads=2)) as warm:
        first = warm.generate(build_prompts(warm.model, "happy", "chat"), params)
        prompts = build_prompts(warm.model, "sad", "chat")
        again = warm.generate(prompts, params)
        story = warm.generate(build_prompts(warm.model, XIAOMA, "chat"), params)  # another kind: decoded anew
    head = min(p.head for p in prompts)
    assert head > 100 and first.cached_tokens == 0 and alone.cached_tokens == 0
    assert again.cached_tokens == head and again.prompt_tokens == alone.prompt_tokens - head
    assert [c.text for c in again.candidates] == [c.text for c in alone.candidates]
    assert [c.tokens for c in again.candidates] == [c.tokens for c in alone.candidates]
    assert story.cached_tokens == 0


def test_shared_prefix_leaves_each_prompt_its_last_token() -> None:
    assert shared_prefix([(1, 2, 3)]) == 0
    assert shared_prefix([(1, 2, 3), (1, 2, 4)]) == 2
    assert shared_prefix([(1, 2), (1, 2, 3)]) == 1  # the shorter prompt keeps its last token
    assert shared_prefix([(5, 2), (1, 2)]) == 0


def test_greedy_candidates_are_the_same_with_a_shared_prefix_as_alone(f32_engine) -> None:
    """Greedy on the F32 model: a prefix cell not visible to one sequence would change its text at once."""
    prompts = build_prompts(f32_engine.model, XIAOMA, "chat")
    params = SamplingParams(n=len(prompts), max_tokens=12, temperature=0.0, seed=1)
    together = f32_engine.generate(prompts, params)
    for i, prompt in enumerate(prompts):
        alone = f32_engine.generate([prompt], SamplingParams(n=1, max_tokens=12, temperature=0.0, seed=1))
        assert alone.candidates[0].text == together.candidates[i].text, prompt.template


@pytest.mark.parametrize(
    "instruction, extra, text, reason",
    [
        ("I'm sorry, but I don't have enough information to determine the user's message.", "", HAPPY, junk_rules.REFUSAL),
        ("抱歉，我无法回答这个问题。", "", XIAOMA, junk_rules.REFUSAL),
        ("What is the main lesson conveyed in the story?", "", XIAOMA, junk_rules.UNSEEN),
        ("Identify the sentiment of this word.", "", HAPPY, junk_rules.UNSEEN),
        ("根据上文，小马为什么不敢过河？", "", XIAOMA, junk_rules.UNSEEN),
        ("Tell me the story of the little horse crossing the river.", "", XIAOMA, junk_rules.OTHER_LANGUAGE),
        ("Multimodality", "", "Models that read images and text together are called multimodal.", junk_rules.BARE_TOPIC),
        ("教书", "", "老师每天上课、备课、批改作业。", junk_rules.BARE_TOPIC),
        ('I want you to reply with the text "happy".', "", HAPPY, junk_rules.DICTATES),
        ("只回复“开心”两个字。", "", "开心", junk_rules.DICTATES),
        ("What feeling does this word express?", "", HAPPY, junk_rules.UNSEEN),
        ("用户发了一条消息，询问助手写了一个关于老马和小马的故事。", "", XIAOMA, junk_rules.UNSEEN),
    ],
)
def test_junk_is_rejected_with_its_reason(instruction: str, extra: str, text: str, reason: str) -> None:
    assert judge(CleanCandidate(instruction, extra), text, "eog") == reason


@pytest.mark.parametrize(
    "instruction, extra, text",
    [
        ("Identify the emotion expressed in this sentence.", "I just got the job!", HAPPY),  # the item is its input
        ('Classify this review: "The battery died in two days."', "", "Negative"),  # quoted after a colon
        ("给我讲个小马过河的故事。", "", XIAOMA),
        ("Translate into Chinese: the little horse crosses the river.", "", "小马过河。"),
        ("用 Python 写一个两数相加的函数。", "", CODE),
        ("Name 10 colors", "", "Red, blue, green, yellow, purple, orange, pink, brown, black, white"),
        ('What feeling does the word "happy" convey?', "", HAPPY),  # names the text, does not dictate it
        ('What is the opposite of "sad"?', "", HAPPY),
    ],
)
def test_real_instructions_pass(instruction: str, extra: str, text: str) -> None:
    assert judge(CleanCandidate(instruction, extra), text, "eog") is None


def test_no_gold_instruction_of_the_dev_set_is_junk() -> None:
    for line in DEV.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        assert junk_rules.junk_reason(pair["instruction"], "", pair["output"]) is None, pair


def test_an_opening_refusal_or_copy_is_sealed_and_the_verdict_is_the_same() -> None:
    assert sealed("I'm sorry, but", HAPPY, 100)
    assert sealed("抱歉，", XIAOMA, 100)
    opening = "老马让小马把半口袋麦子驮到磨坊去。途中遇到"
    assert sealed(opening, XIAOMA, 100) and judge(CleanCandidate(opening), XIAOMA, "sealed") == COPIES
    assert not sealed("Tell me a story", XIAOMA, 100)


REFUSAL_SCRIPT = "I'm sorry, but I cannot help with that request today"


def test_early_stops_in_generate_save_tokens_and_change_no_verdict(smol_path: Path, tmp_path: Path) -> None:
    """A scripted model that refuses, on any CPU: stopped at the first seal check with early stops, run to
    its end without; rejected as a refusal both ways, and the report counts the tokens saved."""
    from opening.llama.engine import Engine, EngineSettings
    from opening.pipeline.ranking import rank
    from scripted_model import write_scripted_model

    model = write_scripted_model(tmp_path / "refuses.gguf", smol_path, REFUSAL_SCRIPT)
    params = SamplingParams(n=2, max_tokens=64, seed=1)
    with Engine(model, EngineSettings(threads=2)) as engine:
        early = generate_candidates(engine, Request(HAPPY, params))
        full = generate_candidates(engine, Request(HAPPY, params, early_stop=False))
        verdicts = [[c.rejected for c in rank(engine, HAPPY, r).candidates] for r in (early, full)]
    assert [c.finish_reason for c in early.candidates] == ["sealed", "sealed"]
    assert all(c.tokens == 8 and c.tokens_left == 64 - 8 for c in early.candidates)
    assert [c.finish_reason for c in full.candidates] == ["eog", "eog"]
    assert verdicts[0][0] == verdicts[1][0] == junk_rules.REFUSAL
    proc = subprocess.run(
        [sys.executable, "-m", "opening", "generate", "--model", str(model), "-n", "2", "--max-tokens", "64",
         "--seed", "1", "--format", "json", HAPPY],
        capture_output=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr.decode()  # every candidate rejected: nothing chosen
    timings = json.loads(proc.stdout)["timings"]
    assert timings["early_stops"] == 2 and timings["early_stop_tokens_saved"] == 2 * (64 - 8)
