"""The reverse prompts for instruct models (the ``chat`` family): asked in the text's language, with a few
(output → instruction) examples from real human pairs, every style sharing everything up to the text.

A small instruct model asked zero-shot in English "what instruction could this be the answer to?" answers
a Chinese story in English, apologises, copies the text back or names its topic. What it is shown here:

* **its language** — the text's script decides (:func:`text_language`): a text mostly in CJK characters
  gets the Chinese system turn, examples and questions; any other text the English ones;
* **a system turn** saying what to write (the request a person wrote, in the text's language; never a
  comment, an apology or "the text");
* **two examples** as earlier turns — a text, the instruction question, the human instruction — from the
  built-in bank (``fewshot_bank.json``: English records from databricks-dolly-15k, CC BY-SA 3.0, and
  examples written for this project), picked by a cheap similarity (:func:`text_kind`: a label sees a
  classification, a story a story, code code, a list a list), so the model sees what a human instruction
  for this kind of text looks like;
* **the text, then the question of its style**: ``instruction`` (a task instruction), ``query`` (the
  question the text answers), ``message`` (what a user wrote to an assistant) and ``input`` (an instruction
  plus ``### Input:``, for texts that transform an input: labels, summaries, translations). Everything
  before the question is the same for every style, so the engine decodes it once
  (``opening.llama.continuous.shared_prefix``) and only the short questions per style.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

LANGUAGES = ("en", "zh")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
"""Kana and CJK ideographs: the characters that make a text Chinese (or Japanese) here."""
_LATIN = re.compile(r"[A-Za-z]")


def text_language(text: str) -> str:
    """``zh`` when CJK characters are at least a third of the letters (a Latin word counts as its letters /
    4, about one word each), else ``en``."""
    cjk = len(CJK.findall(text))
    latin = len(_LATIN.findall(text)) / 4
    return "zh" if cjk and cjk >= (cjk + latin) / 3 else "en"


_CODE = re.compile(r"(^|\n)\s*(def |class |import |#include|function |return |SELECT |for \(|public )|[{};]\s*\n|```")
_LIST = re.compile(r"(^|\n)\s*([-*•]|\d+[.)、]) ")


def text_kind(text: str) -> str:
    """``code``, ``list``, ``label`` (a few words), ``story`` (a long narrative) or ``answer``."""
    stripped = text.strip()
    units = len(CJK.findall(stripped)) / 2 + len(stripped.split())
    if _CODE.search(stripped):
        return "code"
    if len(_LIST.findall(stripped)) >= 2:
        return "list"
    if units <= 6:
        return "label"
    if units >= 60 and re.search(r"[\"“”「」]|once upon|从前|有一天", stripped, re.I):
        return "story"
    return "answer"


@dataclass(frozen=True)
class Example:
    lang: str
    kind: str
    instruction: str
    input: str
    output: str

    @property
    def prompt(self) -> str:
        """The instruction as the model should write it (an input after ``### Input:``)."""
        return f"{self.instruction}\n### Input:\n{self.input}" if self.input else self.instruction


@lru_cache(maxsize=1)
def bank() -> tuple[Example, ...]:
    raw = json.loads(resources.files("opening.pipeline").joinpath("fewshot_bank.json").read_text(encoding="utf-8"))
    return tuple(Example(e["lang"], e["kind"], e["instruction"], e["input"], e["output"]) for e in raw["examples"])


def pick_examples(text: str, lang: str, k: int = 2) -> list[Example]:
    """``k`` examples in ``lang``: of the text's kind first (a story sees stories), then of other kinds, one
    each (bank order)."""
    kind = text_kind(text)
    same = [e for e in bank() if e.lang == lang]
    picked = [e for e in same if e.kind == kind][:k]
    for e in same:
        if len(picked) == k:
            break
        if e not in picked and all(p.kind != e.kind for p in picked):
            picked.append(e)
    return picked


SYSTEM = {
    "en": (
        "You recover instructions. The user shows you a text that an assistant wrote as the answer to a person's"
        " request. Reply with what that person most likely wrote: a natural, specific instruction, question or"
        " request, in the same language as the text, that the text fully answers. Never answer, summarise or"
        ' comment on the text, never apologise, and never mention "the text": write the request itself.'
    ),
    "zh": (
        "你的任务是还原指令。用户给你看一段文字，它是助手按照某个人的请求写出的回答。请回复那个人最可能写下的内容："
        "一条自然、具体、与这段文字同一种语言的指令、问题或请求，这段文字能完整地回答它。不要回答、总结或评论这段文字，"
        "不要道歉，也不要提到“这段文字”：直接写出那条请求。"
    ),
}
LEAD = {"en": "Text:\n", "zh": "文字：\n"}
NOUNS: dict[str, dict[str, str]] = {
    "en": {"label": "answer", "story": "story", "code": "code", "list": "list", "answer": "text"},
    "zh": {"label": "这个回答", "story": "这个故事", "code": "这段代码", "list": "这份清单", "answer": "这段文字"},
}
"""What the questions call the text, by its kind: "What request was this story written for?" primes a request
for a story (a small model asked about "this text" asks a question about a detail of the story)."""
QUESTIONS: dict[str, dict[str, str]] = {
    "instruction": {
        "en": "What instruction was this {noun} written for? Reply with the instruction only.",
        "zh": "{noun}是按照什么指令写出来的？只回复这条指令。",
    },
    "query": {
        "en": "What question does this {noun} answer? Reply with the question only.",
        "zh": "{noun}回答了什么问题？只回复这个问题。",
    },
    "message": {
        "en": "What did a user write to an assistant to get this {noun} as the reply? Reply with the user's message only.",
        "zh": "用户给助手发了什么消息，得到了{noun}作为回复？只回复用户的消息。",
    },
    "input": {
        "en": (
            "This {noun} is the result of a task done on some input (a sentence, a passage, data). Reply with the"
            ' task\'s instruction, then a line "### Input:", then the input.'
        ),
        "zh": (
            "{noun}是对某个输入（一句话、一段文字或一些数据）完成任务得到的结果。"
            "先写出任务的指令，再写一行“### Input:”，然后写出这个输入。"
        ),
    },
}
STYLES = ("instruction", "query", "message", "input")
"""In the order candidates are spread over them (candidate i continues style i % len(styles))."""
STYLES_BY_KIND = {
    "label": ("input", "query", "instruction"),
    "story": ("instruction", "message"),
}
"""A label (a few words) is most often a task done on an input, as the seed's "happy" example: two of five
candidates get the instruction + input style. A story is asked for, not derived from an input: no input
style, and no query style (asked what question a story answers, Qwen 1.5B asked about a detail of it, "小马为什么
把半口袋麦子驮到磨坊去？", which won 2 of 5 runs on the seed's story over the requests for the story)."""


def question(style: str, lang: str, kind: str) -> str:
    return QUESTIONS[style][lang].format(noun=NOUNS[lang][kind])


def styles_for(text: str) -> tuple[str, ...]:
    return STYLES_BY_KIND.get(text_kind(text), STYLES)


def conversation(text: str, style: str) -> tuple[list[tuple[str, list[str | int]]], list[str]]:
    """The chat turns of ``style``'s prompt for ``text`` and their literals (index 0: the text; then each
    example's output): see :func:`opening.llama.chat_template.render_turns`."""
    lang, kind = text_language(text), text_kind(text)
    turns: list[tuple[str, list[str | int]]] = [("system", [SYSTEM[lang]])]
    literals = [text]
    for example in pick_examples(text, lang):
        literals.append(example.output)
        turns.append(("user", [LEAD[lang], len(literals) - 1, "\n\n" + question("instruction", lang, example.kind)]))
        turns.append(("assistant", [example.prompt]))
    turns.append(("user", [LEAD[lang], 0, "\n\n" + question(style, lang, kind)]))
    return turns, literals


SAMPLE_TEXTS = (
    "x",
    "x " * 12,
    "- x\n- y",
    "def x():\n    return 1\n",
    "Once upon a time " + "x " * 60 + '"',
    "小",
    "小" * 30,
    "1. 小\n2. 大",
    "# 小小小小\ndef x():\n",
    "从前，" + "小" * 130 + "“",
)
"""A text of every language and kind (:func:`text_kind`): the prompts' longest frame is among theirs."""


def fixed_texts() -> tuple[str, ...]:
    """Every fixed text these prompts show a model (for the filter's "repeats the prompt" check)."""
    return (
        *SYSTEM.values(),
        *(question(style, lang, kind) for style in QUESTIONS for lang in LANGUAGES for kind in NOUNS[lang]),
    )
