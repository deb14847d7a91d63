"""The optional judge: the same model rates each scored pair from 1 to 5 (Humpback's self-curation idea,
in our own words). Greedy, a few tokens per pair, all pairs in one generation; a reply with no score
is "no score" (None), never an error. The rating is recorded and shown; it does not change the choice.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from opening.base.errors import Cancelled
from opening.base.progress import CancelFn
from opening.base.sampling import SamplingParams
from opening.pipeline.templates import TEXT, chat_parts

if TYPE_CHECKING:
    from opening.llama.engine import Engine, Prompt
    from opening.pipeline.ranking import RankedCandidate, Ranking

QUESTION = (
    "Here is a request and a text written in reply to it.\n\nRequest: {instruction}\n\nReply:\n{text}\n\n"
    "How good a training example is this pair? Give a score from 1 to 5: 1 if the reply does not answer "
    "the request, 3 if it answers only part of it or the request is vague, 5 if the request is clear and "
    "the reply answers it fully and exactly. Answer with the score only."
)
RAW_SUFFIX = "\n\nScore (1-5):"
REPLY_TOKENS = 8
_SCORE = re.compile(r"(?<![0-9.])([1-5])(?![0-9])")


def parse_score(reply: str) -> int | None:
    """The first 1-5 digit standing alone in the reply ("4", "Score: 4/5", "4分"); None if there is none."""
    match = _SCORE.search(reply)
    return int(match.group(1)) if match else None


def judge_prompt(engine: Engine, cand: RankedCandidate, text: str) -> Prompt:
    from opening.llama.engine import Prompt
    from opening.llama.model import tokenize_parts

    before, after = QUESTION.split("{text}")
    question = before.replace("{instruction}", cand.prompt_text) + text + after  # all literal: no special tokens
    if cand.family == "chat":
        parts = chat_parts(engine.model, TEXT, question)
    else:
        parts = [(question + RAW_SUFFIX, False)]
    return Prompt(f"judge/{cand.index}", tuple(tokenize_parts(engine.model, parts)), ())


def judge_pairs(engine: Engine, text: str, ranking: Ranking, *, cancel: CancelFn | None = None) -> None:
    """Rate every scored candidate of ``ranking`` (sets ``judge`` and ``ranking.judge_ms``)."""
    scored = [c for c in ranking.candidates if c.nll is not None]
    if not scored:
        return
    t0 = time.perf_counter()
    prompts = [judge_prompt(engine, c, text) for c in scored]
    params = SamplingParams(temperature=0.0, top_k=1, top_p=1.0, n=len(prompts), max_tokens=REPLY_TOKENS, seed=0)
    result = engine.generate(prompts, params, cancel=cancel)
    if result.cancelled:
        raise Cancelled("judge.cancelled")
    for cand, reply in zip(scored, result.candidates, strict=True):
        cand.judge = parse_score(reply.text)
    ranking.judge_ms = (time.perf_counter() - t0) * 1000.0
