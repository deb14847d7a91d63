"""Better choices (issue 18): the leakage rule, r-IFD, the policies, "nothing helps", the judge and the
dev-set evaluation — rules in English and Chinese, scores on a real small model."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import HAPPY, XIAOMA
from opening.base.choice import CHOSEN, NO_HELPFUL, POLICIES, REJECTED, Choice
from opening.base.errors import BadInput
from opening.base.settings import Settings
from opening.llama.engine import Candidate, Engine, GenerationResult
from opening.llama.scoring import mean_nll
from opening.pipeline.candidate_clean import CleanCandidate
from opening.pipeline.candidate_filter import COPIES, copies_text, judge, longest_shared_span
from opening.pipeline.choice import decide, policy_score
from opening.pipeline.choice_eval import VARIANTS, load_dev_pairs, rouge_l
from opening.pipeline.judge import judge_pairs, parse_score
from opening.pipeline.ranking import instruction_rows, rank

DEV = Path(__file__).parent / "data" / "dev_pairs.jsonl"
STORY = (
    "Once upon a time a young horse had to carry a sack of wheat to the mill. On the way he came to a river. "
    "An old ox told him the water was shallow, but a squirrel warned him that it was deep and dangerous. "
    "The little horse went home to ask his mother, who told him to try for himself."
)


def _result(texts: list[str], template: str = "opening/instruction") -> GenerationResult:
    cands = [Candidate(i, template, t, 5, "eog") for i, t in enumerate(texts)]
    return GenerationResult(cands, seed=1, prompt_tokens=0, generated_tokens=0, steps=0, prompt_ms=0, generate_ms=0)


# -- the leakage rule ---------------------------------------------------------------------------------


def test_a_partial_copy_is_rejected_in_english_and_chinese() -> None:
    english = "Continue this story: Once upon a time a young horse had to carry a sack of wheat to the mill."
    assert copies_text(english, STORY)
    assert judge(CleanCandidate(english), STORY, "eog") == COPIES
    chinese = "续写：老马让小马把半口袋麦子驮到磨坊去。途中遇到一条小河"  # the poster's story, first sentences copied
    assert copies_text(chinese, XIAOMA)
    assert judge(CleanCandidate(chinese), XIAOMA, "eog") == COPIES
    span, n_cand, n_out = longest_shared_span(chinese, XIAOMA)
    assert span >= 0.5 * n_cand and n_out > 3 * span  # a small part of the text, most of the candidate


def test_a_short_quoted_phrase_is_allowed() -> None:
    english = 'Tell a children\'s fable about a young horse and a river, in which the ox says "the water is shallow".'
    assert not copies_text(english, STORY)
    assert judge(CleanCandidate(english), STORY, "eog") is None
    chinese = "写一个关于“小马过河”的寓言故事，说明遇事要自己动脑筋、亲自尝试的道理。"
    assert not copies_text(chinese, XIAOMA)
    assert judge(CleanCandidate(chinese), XIAOMA, "eog") is None


def test_no_gold_instruction_of_the_dev_set_is_rejected() -> None:
    """The thresholds were chosen so that the filter keeps every human-written instruction."""
    pairs = load_dev_pairs(DEV)
    rejected = [(p.instruction, r) for p in pairs if (r := judge(CleanCandidate(p.instruction), p.output, "eog"))]
    assert rejected == []


def test_dev_set_covers_languages_and_task_types() -> None:
    pairs = load_dev_pairs(DEV)
    assert len(pairs) >= 40
    assert {p.lang for p in pairs} == {"en", "zh"}
    tasks = {"classification", "extraction", "rewriting", "open_qa", "creative", "code", "math"}
    assert {p.task for p in pairs} == tasks
    for task in tasks:  # each task type in both languages
        assert {p.lang for p in pairs if p.task == task} == {"en", "zh"}


def test_rouge_l_against_a_hand_computed_value() -> None:
    # LCS of "the cat sat on the mat" and "the cat lay on a mat": the cat on mat = 4; P = 4/6, R = 4/6
    assert rouge_l("The cat sat on the mat", "the cat lay on a mat") == pytest.approx(4 / 6)
    # characters for Chinese: 写一首诗 vs 写一首关于月亮的诗: LCS 写一首诗 = 4; P = 1, R = 4/9
    assert rouge_l("写一首诗", "写一首关于月亮的诗") == pytest.approx(2 * (4 / 9) / (1 + 4 / 9))
    assert rouge_l("", "anything") == 0.0


# -- choosing ------------------------------------------------------------------------------------------


@dataclass
class S:
    index: int
    nll: float | None
    ifd: float | None
    rifd: float | None


def test_policies_choose_as_documented() -> None:
    a = S(0, nll=1.0, ifd=0.5, rifd=0.9)  # predicts the text best, generic
    b = S(1, nll=1.2, ifd=0.6, rifd=0.3)  # specific to the text
    c = S(2, nll=0.9, ifd=1.5, rifd=0.1)  # lowest NLL... no: IFD 1.5 does not help
    assert decide([a, b], Choice("nll")).chosen == 0
    assert decide([a, b], Choice("ifd")).chosen == 0
    assert decide([a, b], Choice("rifd")).chosen == 1
    assert decide([a, b], Choice("combined")).chosen == 1  # 0.5*0.9 > 0.6*0.3
    assert policy_score(a, "combined") == pytest.approx(math.log(0.5 * 0.9))
    # the best by the policy does not help: the best helpful one is chosen
    d = decide([a, b, c], Choice("rifd"))
    assert (d.best, d.chosen, d.status) == (2, 1, CHOSEN)


def test_nothing_helps_chooses_nothing_unless_asked() -> None:
    a, b = S(0, 2.0, 1.3, 0.5), S(1, 2.5, 4.0, 0.2)
    d = decide([a, b], Choice("nll"))
    assert (d.best, d.chosen, d.status) == (0, None, NO_HELPFUL)
    d = decide([a, b], Choice("nll", save_anyway=True))
    assert (d.best, d.chosen, d.status) == (0, 0, NO_HELPFUL)
    assert decide([a, b], Choice("nll", helps_below=2.0)).chosen == 0  # the threshold is configurable
    assert decide([], Choice()).status == REJECTED


def test_bad_choices_are_refused() -> None:
    for bad in (Choice("best"), Choice(helps_below=0), Choice(helps_below=float("nan"))):
        with pytest.raises(BadInput):
            bad.validate()
    settings = Settings(choice={"policy": "nonsense"})
    assert settings.choice_params() == Choice()  # a bad saved value falls back to the defaults
    assert Settings(choice={"policy": "rifd", "helps_below": 0.8}).choice_params() == Choice("rifd", 0.8)


# -- r-IFD on a real model -----------------------------------------------------------------------------


def test_rifd_ranks_a_generic_instruction_below_a_specific_one(engine: Engine) -> None:
    generic = "Write something."
    specific = "Tell the fable of the young horse who must cross a river with a sack of wheat."
    ranking = rank(engine, STORY, _result([generic, specific]), choice=Choice("rifd", helps_below=100.0))
    g, s = ranking.candidates
    assert g.rifd is not None and s.rifd is not None
    assert s.rifd < g.rifd  # the specific instruction is far more predictable from the story
    assert ranking.chosen == 1
    assert ranking.order() == [1, 0]


def test_rifd_equals_its_two_rows_scored_alone(f32_engine: Engine) -> None:
    """The batched pass (every row together, prefixes shared) against each r-IFD row scored on its own
    (F32 weights: see the fixture on why quantized weights blur batch shapes)."""
    texts = ["描述一种心情。", "讲一个小马过河的故事。"]  # Chinese, as the text (another language is rejected)
    for template in ("chat/instruction", "opening/instruction"):
        ranking = rank(f32_engine, XIAOMA, _result(texts, template), choice=Choice("nll", helps_below=100.0), rifd=True)
        assert all(c.rifd is not None for c in ranking.candidates), [c.rejected for c in ranking.candidates]
        for cand in ranking.candidates:
            conditioned, alone = instruction_rows(f32_engine, cand, XIAOMA)
            assert XIAOMA in f32_engine.model.detokenize(list(conditioned.prompt))
            assert XIAOMA not in f32_engine.model.detokenize(list(alone.prompt))
            nll_c, nll_a = mean_nll(f32_engine, [conditioned])[0], mean_nll(f32_engine, [alone])[0]
            assert cand.rifd == pytest.approx(math.exp(nll_c - nll_a), rel=5e-3)


def test_rifd_rows_are_scored_only_when_the_policy_needs_them(engine: Engine) -> None:
    texts = ["Tell a fable about a young horse crossing a river.", "Write a story."]
    plain = rank(engine, STORY, _result(texts), choice=Choice("nll", helps_below=100.0))
    assert all(c.rifd is None and c.nll is not None for c in plain.candidates)
    assert plain.score_tokens["rifd"] == 0 and plain.score_tokens["nll"] > 0 and plain.score_tokens["ifd"] > 0
    for policy in ("rifd", "combined"):
        by_rifd = rank(engine, STORY, _result(texts), choice=Choice(policy, helps_below=100.0))
        assert all(c.rifd is not None for c in by_rifd.candidates)
        # two rows per candidate, each holding the text: about the NLL rows' cost again, or more
        assert by_rifd.score_tokens["rifd"] > by_rifd.score_tokens["nll"]
        assert [c.nll for c in by_rifd.candidates] == pytest.approx([c.nll for c in plain.candidates], rel=1e-2, abs=1e-2)


def test_a_leaking_candidate_loses_to_an_honest_one(engine: Engine) -> None:
    leak = "Continue this story: Once upon a time a young horse had to carry a sack of wheat to the mill. On the way"
    honest = "Tell a fable about a young horse crossing a river."
    ranking = rank(engine, STORY, _result([leak, honest]), choice=Choice("nll", helps_below=100.0))
    assert ranking.candidates[0].rejected == COPIES
    assert ranking.chosen == 1
    # scored anyway only when the evaluation asks (to compare choices with and without the rule)
    both = rank(engine, STORY, _result([leak, honest]), choice=Choice("nll", 100.0), also_score=frozenset({COPIES}))
    assert both.candidates[0].nll is not None and both.chosen == 1


# -- the judge -----------------------------------------------------------------------------------------


def test_judge_replies_are_parsed_robustly() -> None:
    assert parse_score("4") == 4
    assert parse_score(" Score: 5/5") == 5
    assert parse_score("我给 3分") == 3
    assert parse_score("10 out of 10") is None  # not a 1-5 score
    assert parse_score("I think it is good.") is None
    assert parse_score("") is None


def test_judge_rates_pairs_on_a_real_model(engine: Engine) -> None:
    for template in ("chat/instruction", "opening/instruction"):
        ranking = rank(engine, HAPPY, _result(["Write the word happy.", "Name a feeling."], template))
        judge_pairs(engine, HAPPY, ranking)
        assert ranking.judge_ms > 0
        for cand in ranking.candidates:  # a score or "no score", never an error
            assert cand.judge is None or 1 <= cand.judge <= 5


# -- the command line ----------------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opening", *args], capture_output=True, env=dict(os.environ), timeout=300)


def test_cli_saves_nothing_when_nothing_helps(tmp_path: Path, scripted_path: Path) -> None:
    """The scripted model: candidates that survive the filter on any CPU, so there is a best one to keep."""
    out = tmp_path / "pairs.json"
    base = ("generate", "-n", "3", "--max-tokens", "24", "--seed", "2", "--model", str(scripted_path), "--save", str(out), HAPPY)
    proc = run(*base, "--ifd-threshold", "0.0001", "--format", "json")
    assert proc.returncode == 3, proc.stderr.decode()
    err = proc.stderr.decode()
    assert "no instruction helps" in err and "--save-anyway" in err and len(err.strip().splitlines()) == 1
    report = json.loads(proc.stdout)
    assert report["status"] == NO_HELPFUL and report["chosen"] is None and report["pair"] is None
    assert report["best"] is not None and report["candidates"][report["best"]]["helps"] is False
    assert not out.exists()
    kept = run(*base, "--ifd-threshold", "0.0001", "--save-anyway", "--format", "json")
    assert kept.returncode == 0, kept.stderr.decode()
    report = json.loads(kept.stdout)
    assert report["chosen"] == report["best"] and report["status"] == NO_HELPFUL
    assert json.loads(out.read_text())[0]["output"] == HAPPY


@pytest.mark.parametrize("policy", POLICIES)
def test_cli_choice_policies(policy: str, scripted_zh_path: Path) -> None:
    """The scripted model's two instructions survive the filter on any CPU: there is always a choice to check."""
    proc = run(
        "generate", "-n", "4", "--max-tokens", "24", "--seed", "5", "--format", "json", "--model", str(scripted_zh_path),
        "--choose", policy, "--ifd-threshold", "100", XIAOMA,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    report = json.loads(proc.stdout)
    assert report["choice"]["policy"] == policy
    scored = [(i, c) for i, c in enumerate(report["candidates"]) if c["nll"] is not None and c["rejected"] is None]
    key = {
        "nll": lambda c: c["nll"],
        "ifd": lambda c: c["ifd"],
        "rifd": lambda c: c["rifd"],
        "combined": lambda c: math.log(c["ifd"]) + math.log(c["rifd"]),
    }[policy]
    best = min(key(c) for _, c in scored)
    assert key(report["candidates"][report["chosen"]]) == pytest.approx(best, rel=1e-3)


def test_cli_refuses_a_bad_policy_or_threshold() -> None:
    bad = run("generate", "--ifd-threshold", "-1", HAPPY)
    assert bad.returncode == 2 and "IFD threshold" in bad.stderr.decode()
    assert run("generate", "--choose", "best", HAPPY).returncode == 2


def test_eval_choice_prints_every_variant(tmp_path: Path, scripted_path: Path) -> None:
    """Every variant over two texts on the scripted model (what is asserted holds for any candidates), then
    the table over one text on SmolLM2."""
    proc = run("eval-choice", str(DEV), "--limit", "2", "-n", "3", "--max-tokens", "32", "--format", "json",
               "--model", str(scripted_path))
    assert proc.returncode == 0, proc.stderr.decode()
    report = json.loads(proc.stdout)
    assert report["texts"] == 2 and [v["variant"] for v in report["variants"]] == list(VARIANTS)
    assert report["gold_rejected"] == 0
    for v in report["variants"]:
        assert 0 <= v["at_least_mean"] <= 1 and 0 <= v["leakage"] <= 1 and 0 <= v["gold_wins"] <= 1
    after = [v for v in report["variants"] if v["variant"] != "before"]
    assert all(v["leakage"] == 0 for v in after)  # the rule is on: no pick copies the text
    text = run("eval-choice", str(DEV), "--limit", "1", "-n", "2", "--max-tokens", "16")
    assert text.returncode == 0 and "| combined |" in text.stdout.decode() and "gold wins" in text.stdout.decode()
    broken = tmp_path / "dev.jsonl"
    broken.write_text('{"instruction": "a", "output": "b"}\n{"instruction": "a"\n', encoding="utf-8")
    proc = run("eval-choice", str(broken))
    assert proc.returncode == 2 and "line 2" in proc.stderr.decode()
