"""Teacher-forced scores: one batched pass equals one pair at a time, and an independent reference."""

from __future__ import annotations

import math
from pathlib import Path

import llama_cpp
import numpy as np
import pytest

from conftest import HAPPY, XIAOMA
from opening.base.choice import Choice
from opening.llama.engine import Candidate, Engine, GenerationResult
from opening.pipeline.ranking import baseline_row, rank, scoring_prompt
from opening.llama.scoring import ScoreRow, decode_plan, make_row, mean_nll, token_nll

INSTRUCTIONS = [
    "Write one word that describes joy.",
    "Describe how you feel after good news.",
    "What is the opposite of sad?",
    "List three prime numbers.",
    "给我讲个小马过河的故事",
]


def _reference_token_nll(model_path: Path, rows) -> list[list[float]]:
    """The NLL of each target token from llama-cpp-python's high-level Llama.eval, one row at a time."""
    llm = llama_cpp.Llama(model_path=str(model_path), n_ctx=512, logits_all=True, verbose=False, n_threads=2)
    out = []
    for row in rows:
        tokens = list(row.prompt + row.target)
        llm.reset()
        llm.eval(tokens)
        logits = np.array(llm.scores[: len(tokens)], dtype=np.float64)
        per = []
        for j in range(len(row.prompt) - 1, len(tokens) - 1):
            x = logits[j]
            per.append(x.max() + math.log(np.exp(x - x.max()).sum()) - x[tokens[j + 1]])
        out.append(per)
    return out


def _reference_nll(model_path: Path, rows) -> list[float]:
    return [sum(per) / len(per) for per in _reference_token_nll(model_path, rows)]


def batch_shape_tolerance(values: np.ndarray) -> np.ndarray:
    """How far a row's mean NLL may move when only the batch shape changes. What differs: the kernels'
    accumulation order (F32 sums differ in the last bits, and which bits depends on the CPU: AVX2, AVX and
    AVX-512 kernels add in other orders), and the KV cache is F16, where such a difference can round a K or
    V entry one F16 step (2^-11 relative) the other way. A row's mean NLL then moves by a few such steps *of
    its value*: 'happy' is two tokens, so nothing averages out (measured on AVX2: 0.0098 nats on 7.15, 1.4e-3
    relative; AVX-512: < 5e-3 nats). Bound: five F16 steps relative, and 1e-3 nats for the smallest values."""
    return 5 * 2.0**-11 * np.abs(values) + 1e-3


@pytest.mark.parametrize("family", ["opening", "chat"])
@pytest.mark.parametrize("output", [HAPPY, XIAOMA])
def test_batched_scores_equal_one_at_a_time_and_reference(f32_engine: Engine, family: str, output: str) -> None:
    # the long text with three rows (F32 on 2 cores: each row of the story is a second or more, three ways)
    instructions = [*INSTRUCTIONS, ""] if output == HAPPY else [INSTRUCTIONS[0], INSTRUCTIONS[4], ""]
    rows = [make_row(f32_engine, scoring_prompt(f32_engine, family, i, ""), output) for i in instructions]
    batched = np.array(mean_nll(f32_engine, rows))
    single = np.array([mean_nll(f32_engine, [row])[0] for row in rows])
    reference = np.array(_reference_nll(f32_engine.model.path, rows))
    assert np.all(np.isfinite(batched)) and np.all(batched > 0)
    tolerance = batch_shape_tolerance(batched)
    assert np.all(np.abs(batched - single) <= tolerance), (batched, single)
    assert np.all(np.abs(batched - reference) <= tolerance), (batched, reference)
    # the scores separate instructions: not all equal
    assert batched.max() - batched.min() > 0.1


def test_per_token_scores_match_the_reference_and_the_heat_map_lines_up(f32_engine: Engine) -> None:
    chinese = ["写一篇关于小动物的短文。", INSTRUCTIONS[4]]  # in the text's language (another one is rejected)
    rows = [make_row(f32_engine, scoring_prompt(f32_engine, "opening", i, ""), XIAOMA) for i in chinese]
    rows.append(baseline_row(f32_engine, XIAOMA))
    got = token_nll(f32_engine, rows)
    reference = _reference_token_nll(f32_engine.model.path, rows)
    for g, r, row in zip(got, reference, rows, strict=True):
        assert len(g) == len(r) == len(row.target)
        diff = np.abs(np.array(g) - np.array(r))  # one token may be off by ~1e-2 (batched F32 sums), the row not
        assert diff.max() <= 2e-2 and diff.mean() <= 3e-3, (diff.max(), diff.mean())
    # rank: the text's pieces rebuild the text; each token's gain is its NLL with the instruction minus without
    cands = [Candidate(i, "opening/instruction", text, 5, "eog") for i, text in enumerate(chinese)]
    ranking = rank(f32_engine, XIAOMA, GenerationResult(cands, 0, 0, 0, 0, 0.0, 0.0), choice=Choice(helps_below=100.0))
    assert "".join(ranking.text_tokens) == XIAOMA
    for i, cand in enumerate(ranking.candidates):
        gain = ranking.token_gain(i)
        assert len(gain) == len(ranking.text_tokens)
        tail = min(len(got[i]), len(got[-1])) - 1  # aligned from the end, the end-of-text token left out
        expected = np.array(got[i][-tail - 1 : -1]) - np.array(got[-1][-tail - 1 : -1])
        assert np.allclose([g for g in gain[-tail:]], expected, atol=1e-3)
        assert abs(np.mean(cand.token_nll) - cand.nll) < 1e-9


# the seed's "happy" candidates: one task definition, five different inputs (as the fine-tuned model writes them)
SNI_DEFINITION = (
    "In this task, you're given a context, a sentence, and a character. The sentence describes an action or job"
    " of the given character. Your task is to return one of the emotions which are expressed by the Character."
)
SNI_INPUTS = [
    "Context: Mary was a new mother. Sentence: She was very happy. Character: Mary.",
    "Context: I was happy to see my old friend. Sentence: We hadn't met in years. Character: I (myself)",
    "Context: I had a great day with my friends. Sentence: We had a picnic. Character: I (myself)",
    "Context: I had a rough day at work. Sentence: I was really mad. Character: I (myself)",
]


def test_shared_prefixes_are_decoded_once() -> None:
    rows = [ScoreRow((1, 5, 6), (7, 8)), ScoreRow((1, 5, 6), (9, 8)), ScoreRow((1, 5), (6, 7, 3)), ScoreRow((1,), (4,))]
    plan = decode_plan(rows)
    seqs = [r.prompt + r.target for r in rows]
    distinct_prefixes = {s[: j + 1] for s in seqs for j in range(len(s))}
    assert len(plan) == len(distinct_prefixes) == 9
    # every target token is predicted exactly once per row, from the position before it
    for r, row in enumerate(rows):
        predicted = [(p.pos + 1, nxt) for p in plan for (rr, nxt) in p.predicts if rr == r]
        assert predicted == [(len(row.prompt) + i, t) for i, t in enumerate(row.target)]
    # a token carries exactly the rows that share the prefix ending in it, and every row's positions run 0, 1, 2...
    for p in plan:
        prefix = seqs[p.rows[0]][: p.pos + 1]
        assert prefix[-1] == p.token
        assert set(p.rows) == {r for r, s in enumerate(seqs) if s[: p.pos + 1] == prefix}
    for r, s in enumerate(seqs):
        assert [p.token for p in plan if r in p.rows] == list(s)


@pytest.mark.parametrize("output", [HAPPY])  # the long text's rows are compared batched vs alone above
def test_candidates_sharing_a_definition_score_as_one_at_a_time(f32_engine: Engine, output: str) -> None:
    rows = [make_row(f32_engine, scoring_prompt(f32_engine, "opening", SNI_DEFINITION, i), output) for i in SNI_INPUTS]
    rows.append(baseline_row(f32_engine, output))
    plan = decode_plan(rows)
    total = sum(len(r.prompt) + len(r.target) for r in rows)
    definition = len(f32_engine.model.tokenize(SNI_DEFINITION, add_special=False, parse_special=False))
    # the preamble and the definition are decoded once, not four times
    assert total - len(plan) >= 3 * definition
    batched = np.array(mean_nll(f32_engine, rows))
    single = np.array([mean_nll(f32_engine, [row])[0] for row in rows])
    assert np.all(np.isfinite(batched))
    assert np.all(np.abs(batched - single) <= batch_shape_tolerance(batched)), (batched, single)
    assert batched[:-1].max() - batched[:-1].min() > 1e-3  # the different inputs still score differently


def test_scored_target_is_the_users_text_plus_eos(engine: Engine) -> None:
    row = make_row(engine, scoring_prompt(engine, "opening", "Say it.", ""), XIAOMA)
    assert row.target[-1] == engine.model.eos
    assert engine.model.detokenize(list(row.target[:-1])).strip() == XIAOMA
    assert "### Response:" in engine.model.detokenize(list(row.prompt))


def _result(texts: list[str], template: str = "opening/instruction") -> GenerationResult:
    cands = [Candidate(i, template, t, 5, "eog") for i, t in enumerate(texts)]
    return GenerationResult(cands, seed=1, prompt_tokens=0, generated_tokens=0, steps=0, prompt_ms=0, generate_ms=0)


def test_rank_chooses_lowest_nll_computes_ifd_and_flags_unhelpful(engine: Engine) -> None:
    result = _result([
        "Write the word happy.",
        "List three prime numbers.",
        "happy",
        "Write the word happy!",
    ])
    ranking = rank(engine, HAPPY, result, choice=Choice("nll", save_anyway=True))
    c = ranking.candidates
    assert c[2].rejected == "echo of the output"
    assert c[3].duplicate_of == 0 and c[3].nll is None
    scored = [x for x in c if x.nll is not None]
    assert {x.index for x in scored} == {0, 1}
    base = ranking.baseline_nll
    for x in scored:
        assert x.ifd == pytest.approx(math.exp(x.nll - base))
        assert x.helps == (x.ifd < 1)
    assert ranking.chosen == min(scored, key=lambda x: x.nll).index
    assert ranking.order()[:2] == sorted([0, 1], key=lambda i: c[i].nll)
    assert ranking.order()[-1] == 2  # rejected last
    # asking for the word itself predicts "happy" better than asking for primes
    assert c[0].nll < c[1].nll
    assert c[1].helps is False  # primes do not help predict "happy"


def test_every_candidate_rejected_chooses_nothing(engine: Engine) -> None:
    ranking = rank(engine, HAPPY, _result(["happy", "Happy.", ""]))
    assert ranking.all_rejected and ranking.chosen is None
    assert "echo of the output: 2" in ranking.rejection_summary()
    assert "empty: 1" in ranking.rejection_summary()


def test_scoring_can_be_cancelled(engine) -> None:
    from opening.base.errors import Cancelled
    from opening.llama.scoring import make_row, mean_nll

    rows = [make_row(engine, [(f"Instruction {i}: say something.\n\n", False)], "happy " * 50) for i in range(4)]
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return True

    with pytest.raises(Cancelled):
        mean_nll(engine, rows, cancel=cancel)
    assert calls
    assert len(mean_nll(engine, rows)) == 4  # the context still works afterwards


def test_scoring_reports_progress_batch_by_batch(engine) -> None:
    rows = [make_row(engine, [(f"Instruction {i}: say something.\n\n", False)], "happy " * 500) for i in range(3)]
    assert len(decode_plan(rows)) > 2 * 512  # more than two batches
    fractions: list[float] = []
    stages: set[str] = set()
    mean_nll(engine, rows, progress=lambda stage, f: (stages.add(stage), fractions.append(f)))
    assert stages == {"scoring"}
    assert len(fractions) >= 3
    assert fractions == sorted(set(fractions)) and 0 < fractions[0] < 1 and fractions[-1] == 1.0
