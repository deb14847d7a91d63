"""A pair turned around for the generator: the response becomes the prompt (through one of the app's own
reverse templates, :data:`opening.pipeline.templates.OPENING_TEMPLATES`), the instruction — with its input
folded in as ``### Input:`` (:func:`opening.data.records.fold_input`) — becomes the target the loss is
taken on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from opening.data.records import fold_input
from opening.pipeline.templates import OPENING_TEMPLATES, TEXT
from opening_train.sources import SourcePair

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Reversed:
    prompt: str
    target: str
    template: str
    lang: str
    source: str
    category: str
    where: str

    def record(self) -> dict[str, str]:
        return {
            "prompt": self.prompt,
            "target": self.target,
            "template": self.template,
            "lang": self.lang,
            "source": self.source,
            "category": self.category,
            "where": self.where,
        }


def language(text: str) -> str:
    """``zh`` when at least a fifth of the letters are Chinese characters, else ``en``."""
    letters = _LETTER.findall(text)
    return "zh" if letters and len(_CJK.findall(text)) * 5 >= len(letters) else "en"


def reverse(pair: SourcePair, template: int) -> Reversed:
    t = OPENING_TEMPLATES[template]
    target = fold_input(pair.instruction, pair.input)
    return Reversed(
        t.raw.replace(TEXT, pair.response),
        target,
        t.name,
        language(pair.response + " " + target),
        pair.source,
        pair.category,
        pair.where,
    )
