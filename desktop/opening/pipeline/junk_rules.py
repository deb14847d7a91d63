"""Candidates that are not instructions a person would write, whatever they score: each rule names what it
catches and is checked against the gold instructions of the dev sets (none may be caught).

* **refusal** — an apology or refusal ("I'm sorry, but …", "As an AI …", 抱歉 …): a small instruct model
  answers a reverse prompt with one when it cannot tell, and a refusal "helps" predict a text of the same
  register (IFD 0.25 on "happy").
* **unseen reference** — a reference to a text, speaker or item the pair does not contain ("the text
  above", "this word", "the user's message", 根据上文, 这段文字 …): without an input, the instruction
  points at nothing. Allowed when the candidate has an input, or quotes its item after a colon or in quotes
  ("Classify this review: "…"").
* **other language** — the instruction is in another script than the text (an English instruction for a
  Chinese story), unless it asks for a translation or the text is code.
* **dictates the text** — the instruction tells the assistant to reply with the whole (short) text, quoted
  ("I want you to reply with the text "happy"."): the text is then trivially predictable, so it wins on NLL
  (0.06 on "happy") while teaching nothing. Naming the text is allowed ("What does the word "happy" convey?").
* **bare topic** — a title or keyword that asks for nothing ("Multimodality", 教书): it names the text's
  topic, so it wins on NLL while being no instruction at all.

Each returns True when the candidate is junk; :func:`junk_reason` gives the first rule's reason.
"""

from __future__ import annotations

import re

from opening.pipeline.instruct_prompt import CJK, text_kind, text_language

REFUSAL = "refusal or apology"
UNSEEN = "refers to an unseen text"
OTHER_LANGUAGE = "in another language than the text"
BARE_TOPIC = "a bare topic, asks for nothing"
DICTATES = "dictates the text as the reply"
REASONS = (REFUSAL, UNSEEN, OTHER_LANGUAGE, DICTATES, BARE_TOPIC)

_REFUSAL = re.compile(
    r"^\W*(i'?m sorry|i am sorry|sorry[,.!]|i apologi[sz]e|apologies|unfortunately,? i|i cannot|i can'?t|i can not"
    r"|i'?m (not able|unable)|i am (not able|unable)|as an ai|as a language model|it seems (like|that)"
    r"|i don'?t (have|know|understand)|i do not (have|know|understand)|there is no (instruction|text|message)"
    r"|抱歉|对不起|很抱歉|不好意思|我无法|我不能|作为(一个)?(ai|人工智能|语言模型)|无法(确定|回答|提供))",
    re.IGNORECASE,
)
_UNSEEN_EN = re.compile(
    r"\b(?:the|this|that|these|those|above|given|following|provided|attached)\s+"
    r"(?:text|passage|paragraph|article|document|excerpt|story|message|reply|response|answer|output|sentence"
    r"|statement|content|input|poem|essay|review|code|snippet|data|list|information|conversation)"
    r"(?!\s+(?:of|about|called|named|titled)\b)\b"
    r"|\b(?:this|that|these|those|above|given|following|provided)\s+words?\b(?!\s*[\"'“‘:：])"  # "the word happy" names it
    r"|\b(?:the|this)\s+(?:user|assistant|chatbot)(?:'s)?\b|\b(?:above|below)\s*[.?:]?$",
    re.IGNORECASE,
)
_UNSEEN_ZH = re.compile(
    r"上文|上述|以上(?:内容|文字|信息|材料)?|下文|这段(?:文字|话|文本|内容|代码)|这篇(?:文章|文字|短文)|该(?:文章|文本|段落|材料)"
    r"|文中|原文|材料中|根据材料|这句话|这个词|这首诗|给定的(?:文本|文字|句子)|用户(?:的(?:消息|问题)|发了|发的|问了|说了|想要|要求助手|请求助手)|助手(?:写|回复)了"
)
_QUOTED_ITEM = re.compile(r"[:：]\s*\S|[\"“「『'‘].{2,}[\"”」』'’]")
_LANGUAGE_ASKED = re.compile(
    r"translat|in (chinese|english)|(use|using) (chinese|english)|翻译|译成|译为|中文|英文|汉语|英语", re.IGNORECASE
)
LONG_INSTRUCTION_UNITS = 40
"""An instruction this long (words; CJK characters count half) carries its own material: a reference in it
("翻译这句话", "this passage") points at that material, not at an unseen text."""
_ASKS_EN = re.compile(
    r"^(what|who|whom|whose|why|how|when|where|which|is|are|was|were|do|does|did|can|could|should|would|will"
    r"|define|describe|explain|list|name|give|write|tell|summari[sz]e|translate|classify|identify|compare|create"
    r"|make|generate|find|suggest|recommend|help|please|show|solve|calculate|compose|draft|plan|rewrite|convert"
    r"|extract|categori[sz]e|choose|pick|answer|provide|share|outline|introduce|discuss|analy[sz]e|recommend|rank"
    r"|think|brainstorm|imagine|come up|prepare|let'?s|i want|i need|i'?d like)\b",
    re.IGNORECASE,
)
_ASKS_ZH = re.compile(
    r"[?？]|吗|呢|什么|怎么|怎样|为什么|如何|哪|谁|多少|几|请|写|讲|说|列|给|介绍|解释|翻译|判断|总结|分析|描述|推荐"
)


_QUESTION_EN = re.compile(
    r"^(what|what's|whats|who|who's|whom|whose|why|how|when|where|which|is|are|was|were|do|does|did|can|could"
    r"|should|would|will|has|have)\b",
    re.IGNORECASE,
)
_QUESTION_ZH = re.compile(r"吗|呢|什么|啥|怎么|怎样|为什么|为何|如何|哪|谁|多少|是否")
_REQUEST_ZH = re.compile(r"^(请|给我|帮我|为我|写|讲|列|介绍|解释|翻译|判断|总结|分析|描述|推荐|说说|谈谈|告诉我|生成|计算|比较)")


def is_question(instruction: str) -> bool:
    """A question: a question mark at its end, or a question word (en: at its start)."""
    stripped = instruction.strip()
    return stripped.endswith(("?", "？")) or bool(_QUESTION_EN.match(stripped) or _QUESTION_ZH.search(stripped))


def is_request(instruction: str) -> bool:
    """A question, or a request that opens with what it asks for ("Name …", "Give me …", 请介绍 …)."""
    stripped = instruction.strip()
    return is_question(stripped) or bool(_ASKS_EN.match(stripped) or _REQUEST_ZH.match(stripped))


QUOTED_NAME_UNITS = 10
"""A quoted span up to this long (words; CJK characters count half) names something (a title, a slogan: "打赢坐牢，
打输住院"); a longer one quotes material."""
_QUOTED_SPAN = re.compile(r"[\"“「『]([^\"”」』]*)([\"”」』]|$)")


def quotes_material(instruction: str) -> bool:
    """A quoted span (closed, or still open at the end) longer than :data:`QUOTED_NAME_UNITS`."""
    return any(_units(m.group(1)) > QUOTED_NAME_UNITS for m in _QUOTED_SPAN.finditer(instruction))


def is_refusal(instruction: str) -> bool:
    return bool(_REFUSAL.search(instruction.strip()))


MATERIAL_UNITS = 10
"""Words (CJK characters count half) before a reference that make it point back at them."""


def _units(text: str) -> float:
    return len(CJK.findall(text)) / 2 + len(re.findall(r"[A-Za-z0-9]+", text))


def refers_to_unseen(instruction: str, has_input: bool) -> bool:
    if has_input or _QUOTED_ITEM.search(instruction) or _units(instruction) >= LONG_INSTRUCTION_UNITS:
        return False
    found = _UNSEEN_EN.search(instruction) or _UNSEEN_ZH.search(instruction)
    # material before the reference ("<a sentence> 把这句话翻译成现代文") is what it refers to
    return found is not None and _units(instruction[: found.start()]) < MATERIAL_UNITS


def other_language(instruction: str, text: str) -> bool:
    """The instruction's script is not the text's (a text with too few letters, code and translations excepted)."""
    letters = len(CJK.findall(text)) + len(re.findall(r"[A-Za-z]+", text))
    if letters < 3 or "code" in (text_kind(text), text_kind(instruction)) or _LANGUAGE_ASKED.search(instruction):
        return False
    return text_language(instruction) != text_language(text)


def bare_topic(instruction: str) -> bool:
    """A few words that neither ask a question nor tell anyone to do anything."""
    stripped = instruction.strip().strip(".。!！")
    if not stripped or "\n" in stripped or _ASKS_EN.match(stripped) or _ASKS_ZH.search(stripped):
        return False
    return _units(stripped) <= 3


_QUOTED = re.compile(r"[\"“「『'‘]([^\"“”「」『』'‘’]+)[\"”」』'’]")
_DICTATE = re.compile(
    r"\b(reply|respond|answer|say|write|output|print|type|repeat|return|just|only|exactly)\b|回复|回答|输出|说|写|打出|重复|只",
    re.IGNORECASE,
)
DICTATE_MAX_UNITS = 12
"""Texts up to this long (words; CJK characters count half) can be dictated whole in an instruction."""


def dictates_text(instruction: str, text: str) -> bool:
    """The instruction quotes the whole text after a verb of replying ("reply with "happy"", 回复“开心”)."""
    target = " ".join(text.split()).casefold()
    if not target or _units(text) > DICTATE_MAX_UNITS:
        return False
    for quoted in _QUOTED.finditer(instruction):
        same = " ".join(quoted.group(1).split()).casefold().strip(".。!！") == target.strip(".。!！")
        if same and _DICTATE.search(instruction[: quoted.start()]):
            return True
    return False


def junk_reason(instruction: str, extra_input: str, text: str) -> str | None:
    """The first rule ``instruction`` (with ``extra_input``) breaks for ``text``, or None."""
    if is_refusal(instruction):
        return REFUSAL
    if refers_to_unseen(instruction, bool(extra_input.strip())):
        return UNSEEN
    if other_language(instruction, text):
        return OTHER_LANGUAGE
    if dictates_text(instruction, text):
        return DICTATES
    if not extra_input.strip() and bare_topic(instruction):
        return BARE_TOPIC
    return None
