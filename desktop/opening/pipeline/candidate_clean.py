"""Turn a raw generated candidate into an instruction (and optional input).

* trim white space and quotes;
* cut template leftovers: a leading ``X:`` or ``### Instruction:`` (``### 指令：``), a chat model's
  lead-in ("The user's message was:"), and
  trailing role markers (``### Response:``, ``Output:``, ``<|im_end|>``, ``Assistant:`` …);
* split an SNI-style candidate ``definition ### Input: instance`` into instruction and input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LEAD_INS = re.compile(
    r"""^\s*(?:
        (?:\#{2,3}\s*)?(?:X|Instruction|Message|Query|Question|Prompt|Task)\s*[:：=]\s*
      | (?:the\s+)?(?:user'?s?\s+|informal\s+|detailed\s+|original\s+)?
        (?:instruction|message|query|question|prompt)\s+(?:X\s+)?(?:was|is|could\s+be|would\s+be)\s*[:：]?\s*
      | (?:\#{2,3}\s*)?(?:指令|问题|任务)\s*[:：]\s*
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_TRAILERS = re.compile(
    r"""(?:\n\s*)?(?:
        \#\#\#\s*(?:Response|Output|Answer)\s*:? | (?:^|\n)\s*(?:Output|Reply|Document|Answer|Response|Assistant|User)\s*: |
        <\|im_end\|> | <\|im_start\|> | <\|endoftext\|> | </s> | <end_of_turn> | <\|eot_id\|>
    ).*\Z""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
_INPUT_SPLIT = re.compile(r"\s*#{2,3}\s*Input\s*[:：]\s*", re.IGNORECASE)
_QUOTES = (('"', '"'), ("'", "'"), ("“", "”"), ("‘", "’"), ("「", "」"), ("『", "』"))


@dataclass(frozen=True)
class CleanCandidate:
    instruction: str
    input: str = ""


def _strip_quotes(text: str) -> str:
    text = text.strip()
    for left, right in _QUOTES:
        if len(text) >= 2 and text.startswith(left) and text.endswith(right):
            inner = text[1:-1]
            if left not in inner and right not in inner:
                return inner.strip()
    return text


def trailer_start(text: str) -> int | None:
    """Where the first trailer (a role marker and everything after it) starts, or None."""
    match = _TRAILERS.search(text)
    return None if match is None else match.start()


def clean_candidate(raw: str) -> CleanCandidate:
    text = raw.replace("\r\n", "\n").strip()
    text = _TRAILERS.sub("", text).strip()
    previous = None
    while previous != text:  # lead-ins can nest: 'The instruction is: X: "..."'
        previous = text
        text = _strip_quotes(_LEAD_INS.sub("", text, count=1))
    parts = _INPUT_SPLIT.split(text, maxsplit=1)
    if len(parts) == 2:
        return CleanCandidate(_strip_quotes(parts[0]), _strip_quotes(parts[1]))
    return CleanCandidate(text)
