from __future__ import annotations

import pytest

from opening.pipeline.candidate_clean import CleanCandidate, clean_candidate
from opening.pipeline.candidate_filter import filter_candidates, is_degenerate, is_echo, judge, normalise, sealed
from opening.pipeline.templates import prompt_pieces

SEED_HAPPY = (
    "In this task, you're given a context, a sentence, and a character. Your task is to return one of the emotions "
    "which are expressed by the Character in the given sentence. ### Input: Context: Mary was a new mother. "
    "Sentence: She was very happy and excited to be a mother. Character: Mary."
)


@pytest.mark.parametrize(
    "raw, instruction, extra",
    [
        ("X: Write a poem about spring.", "Write a poem about spring.", ""),
        (' "Tell me a story"  ', "Tell me a story", ""),
        ("The user's message was: \"I'm so glad!\"", "I'm so glad!", ""),
        ("The detailed query is: how to cook rice\n\nOutput: rice is cooked", "how to cook rice", ""),
        ("Write a story<|im_end|>", "Write a story", ""),
        ("给我讲个小马过河的故事", "给我讲个小马过河的故事", ""),
        ("What is 2+2?\n\n### Response: 4", "What is 2+2?", ""),
        (SEED_HAPPY, SEED_HAPPY.split(" ### Input:")[0], SEED_HAPPY.split("### Input: ")[1]),
    ],
)
def test_clean(raw: str, instruction: str, extra: str) -> None:
    assert clean_candidate(raw) == CleanCandidate(instruction, extra)


def test_normalise_folds_width_case_space_punctuation() -> None:
    assert normalise("Ｈｅｌｌｏ，  World!") == normalise("hello world") == "hello world"


def test_echo_detection() -> None:
    story = "老马让小马把半口袋麦子驮到磨坊去。途中遇到一条小河，小马询问老牛能不能过河。"
    assert is_echo("happy", "happy") and is_echo("Happy!", "happy")
    assert is_echo("Story: " + story, story)
    assert is_echo(story[:30] + "……", story)
    assert not is_echo(SEED_HAPPY, "happy")  # the seed's own candidate mentions the word: not an echo
    assert not is_echo("给我讲个小马过河的故事", story)


def test_degenerate_repetition() -> None:
    assert is_degenerate('The answer is "The answer is "' * 8)
    assert not is_degenerate(SEED_HAPPY)


def test_verdicts_reject_with_reasons_and_merge_duplicates() -> None:
    cands = [
        CleanCandidate("生成故事，题目：小马过河"),
        CleanCandidate("happy"),
        CleanCandidate("生成故事，题目：小马过河。"),  # exact after normalisation
        CleanCandidate(""),
        CleanCandidate("Tell me a story about a pony crossing a river"),
        CleanCandidate("Tell me a story about a pony crossing the river"),  # near duplicate
        CleanCandidate("loop " * 40),
    ]
    verdicts = filter_candidates(cands, "happy", ["eog"] * len(cands))
    assert [v.rejected for v in verdicts] == [
        None,
        "echo of the output",
        None,
        "empty",
        None,
        None,
        "degenerate repetition",
    ]
    assert [v.duplicate_of for v in verdicts] == [None, None, 0, None, None, 4, None]


def test_restating_the_reverse_prompt_is_rejected() -> None:
    restated = CleanCandidate(
        "A user sent a chatbot an informal message, and the chatbot replied: happy. What was the user's message?"
    )
    verdicts = filter_candidates(
        [restated, CleanCandidate("How are you feeling today?")], "happy", ["eog", "eog"], [prompt_pieces("chat/message")] * 2
    )
    assert verdicts[0].rejected == "repeats the prompt"
    assert verdicts[1].rejected is None


# --- sealed: batch mode's early stop; each case checks the verdict on the text so far equals the verdict
# after any continuation, which is what makes stopping there safe


def _verdict(raw: str, output: str, finish: str = "eog") -> str | None:
    return judge(clean_candidate(raw), output, finish)


STORY = "The little horse wanted to cross the river, so he asked the old cow and the squirrel how deep it was."


@pytest.mark.parametrize(
    "raw, more",
    [
        ("Write a short story.\n### Response: The little", " horse wanted to cross the river and more"),
        ("Describe a river crossing.\nOutput: The", " squirrel said it was deep"),
        ('He said: "The little horse wanted to cross the river, so he asked', ' the old cow." Write a story.'),
    ],
)
def test_a_sealed_candidate_keeps_its_verdict_whatever_comes_next(raw: str, more: str) -> None:
    assert sealed(raw, STORY, 100)
    assert _verdict(raw, STORY) == _verdict(raw + more, STORY)


def test_an_open_candidate_is_not_sealed() -> None:
    assert not sealed("Write a short story about a little horse", STORY, 100)  # it may still end well
    assert not sealed("", STORY, 100)
    # copying a short span is not sealed: the share of the candidate may still fall
    assert not sealed("Tell a story where the little horse wanted to cross", STORY, 100)


def test_a_copy_that_may_still_end_as_a_question_is_not_sealed() -> None:
    copy = "Then so he asked the old cow and the squirrel how deep it was"  # half the story, not its opening
    assert _verdict(copy + ".", STORY) in ("copies the text", "echo of the output")  # a statement: rejected
    assert _verdict(copy + "?", STORY) is None  # a question the story restates
    assert not sealed(copy, STORY, 100)
    long_copy = copy + " and then he went on" * 4
    assert sealed(long_copy, STORY, 100)  # over 30 words: no longer a short question, whatever comes


@pytest.mark.parametrize(
    "instruction, output",
    [  # human Dolly / COIG pairs whose answer restates the question (the copy rule rejected them before)
        (
            "What makes a good sales account executive?",
            "A good Sales account executive will be a great listener and "
            "will understand the customer's needs before proposing a solution.",
        ),
        (
            "Name the three best professional sports teams based in California.",
            "The best professional sports teams based in California are the Lakers, the Warriors and the Dodgers.",
        ),
        ("What is the current capital of Japan?", "Tokyo is the current capital of Japan."),
        (
            "为什么献血不会影响身体健康?",
            "医学研究证明，献血不会影响身体健康，因为失血量不超过总血量的百分之十时，人体能够自行调节。",
        ),
    ],
)
def test_a_question_the_answer_restates_is_kept(instruction: str, output: str) -> None:
    assert judge(CleanCandidate(instruction), output, "eog") is None


def test_a_statement_or_a_quoted_copy_is_still_a_copy() -> None:
    answer = "The best professional sports teams based in California are the Lakers, the Warriors and the Dodgers."
    copying = ("copies the text", "echo of the output")
    assert judge(CleanCandidate("The best professional sports teams based in California are great."), answer, "eog") in copying
    quoted = 'What comes after "The best professional sports teams based in California are the Lakers"?'
    assert judge(CleanCandidate(quoted), answer, "eog") in copying


def test_a_loop_is_sealed_only_when_no_continuation_could_repair_it() -> None:
    loop = "The answer is yes. " * 12
    assert is_degenerate(loop)
    assert sealed(loop, STORY, 4)  # four more words cannot lift the distinct 4-grams to half
    assert not sealed(loop, STORY, 200)  # 200 new words could


def test_a_long_instruction_before_a_trailer_is_not_sealed() -> None:
    # over 120 words it is rejected only if it reaches max tokens: its fate is still open
    raw = " ".join(f"word{i}" for i in range(130)) + "\n### Response: x"
    assert not sealed(raw, STORY, 50)
    assert sealed(" ".join(f"word{i}" for i in range(100)) + "\n### Response: x", STORY, 50)
