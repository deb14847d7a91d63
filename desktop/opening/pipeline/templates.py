"""Reverse templates: the prompts that ask a model which instruction a text answers.

Two families:

* ``opening`` — the three raw LongForm-style prompts of the original OpenING demo, for the fine-tuned
  generator and for base models. The model continues after ``X:``.
* ``chat`` — for instruct models, through the model's own chat template: asked in the text's language,
  with two human (output → instruction) examples, in four styles that share everything up to the text
  (:mod:`opening.pipeline.instruct_prompt`).

``auto`` picks ``chat`` when the GGUF carries a chat template, else ``opening``. Prompts are built as
token ids: the user's text is never parsed for special tokens, and the whole prompt is tokenized in
one piece whenever that is safe (tokenizing pieces separately and concatenating changes the tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opening.base.errors import BadInput
from opening.llama.chat_template import render_chat, render_turns
from opening.pipeline import instruct_prompt

if TYPE_CHECKING:  # the model is passed in; importing this module loads no llama.cpp
    from opening.llama.engine import Prompt
    from opening.llama.model import LlamaModel
    from opening.models.gguf_file import GGUFInfo

FAMILIES = ("auto", "opening", "chat")
TEXT = "{text}"


@dataclass(frozen=True)
class ReverseTemplate:
    name: str
    raw: str
    """The original prompt, ``{text}`` standing for the user's text; the model answers after ``X:``."""
    question: str
    """The same question for an instruct model, asked as one user turn of its chat template."""


OPENING_TEMPLATES: tuple[ReverseTemplate, ...] = (
    ReverseTemplate(
        "instruction",
        "Instruction: X\n\nOutput: {text}\n\nWhat kind of instruction could this be the answer to?\n\nX:",
        "Here is the output of a task:\n\n{text}\n\nWhat kind of instruction could this be the answer to?"
        " Reply with the instruction only.",
    ),
    ReverseTemplate(
        "message",
        "You are a chatbot. A user sent you an informal message and your reply is as follows.\n\n"
        "Message: X\n\nReply: {text}\n\nWhat is the informal message X?\n\nX:",
        "A user sent a chatbot an informal message, and the chatbot replied:\n\n{text}\n\n"
        "What was the user's message? Reply with the message only.",
    ),
    ReverseTemplate(
        "query",
        "You are a search engine. A person queried something in detail and the most relevant document "
        "about the query is as follows.\n\nQuery: X\n\nDocument: {text}\n\nWhat is the detailed query X?\n\nX:",
        "A person searched for something in detail, and the most relevant document was:\n\n{text}\n\n"
        "What was the detailed query? Reply with the query only.",
    ),
)

# Where a base model, having answered, starts another block of the template: cut the candidate there.
OPENING_STOPS: tuple[str, ...] = (
    "\n\nInstruction:",
    "\n\nOutput:",
    "\n\nX:",
    "\n\nMessage:",
    "\n\nReply:",
    "\n\nQuery:",
    "\n\nDocument:",
    "\n\nWhat kind of instruction",
    "\n\nWhat is the informal message",
    "\n\nWhat is the detailed query",
)


def generator_prompt(text: str) -> str:
    """The fine-tuned generator's prompt for ``text`` (the first reverse template, raw): what a
    preference pair trains it on."""
    return OPENING_TEMPLATES[0].raw.replace(TEXT, text)


def prompt_pieces(template: str) -> tuple[str, ...]:
    """The fixed texts around ``{text}`` in a template (``family/name``), raw and chat forms."""
    family, name = template.split("/", 1) if "/" in template else ("", template)
    extra = instruct_prompt.fixed_texts() if family == "chat" else ()
    for t in OPENING_TEMPLATES:
        if t.name == name:
            return extra + tuple(p for form in (t.raw, t.question) for p in form.split(TEXT) if p.strip())
    return extra


def resolve_family(family: str, has_chat_template: bool, declared: str | None = None) -> str:
    """``auto`` → the family the model declares it was trained on (``declared``: a generator from
    ``opening-train``), else ``chat`` when the model has a chat template, else ``opening``."""
    if family not in FAMILIES:
        raise BadInput("template.unknown_family", family=family, known=", ".join(FAMILIES))
    if family == "auto":
        if declared in FAMILIES and declared != "auto" and (declared != "chat" or has_chat_template):
            return declared
        return "chat" if has_chat_template else "opening"
    if family == "chat" and not has_chat_template:
        raise BadInput("template.no_chat")
    return family


def model_family(family: str, info: GGUFInfo) -> str:
    """:func:`resolve_family` for a model file: its chat template and the family it declares."""
    return resolve_family(family, info.chat_template is not None, info.reverse_template)


def build_prompts(model: LlamaModel, text: str, family: str) -> list[Prompt]:
    """One prompt per template of the family (resolved from ``auto``), in template order."""
    from opening.llama.engine import Prompt

    family = model_family(family, model.info)
    if family == "opening":
        return [
            Prompt(
                f"opening/{t.name}",
                tuple(model.tokenize(t.raw.replace(TEXT, text), add_special=True, parse_special=False)),
                OPENING_STOPS,
            )
            for t in OPENING_TEMPLATES
        ]
    prompts = []
    for style in instruct_prompt.styles_for(text):
        tokens, head = _instruct_tokens(model, text, style)
        prompts.append(Prompt(f"chat/{style}", tuple(tokens), (), head))
    return prompts


def reverse_parts(model: LlamaModel, family: str, text: str) -> list[tuple[str, bool]]:
    """The first reverse template ("what kind of instruction could this be the answer to?") around
    ``text``, as prompt parts: what r-IFD conditions an instruction on."""
    first = OPENING_TEMPLATES[0]
    if family == "chat":
        return chat_parts(model, first.question, text)
    before, after = first.raw.split(TEXT)
    return [(before, False), (text, False), (after, False)]


def chat_parts(model: LlamaModel, question: str, text: str) -> list[tuple[str, bool]]:
    """One user turn asking ``question`` about ``text`` in the model's chat template, as prompt parts."""
    template = model.info.chat_template
    if template is None:
        raise BadInput("template.no_chat")
    prefix, suffix = render_chat(template, question, text, bos_token=model.bos_text, eos_token=model.eos_text)
    if model.add_bos and model.bos_text and prefix.startswith(model.bos_text):
        prefix = prefix[len(model.bos_text) :]  # llama.cpp adds BOS itself; do not double it
    return [(prefix, True), (text, False), (suffix, True)]


def _instruct_tokens(model: LlamaModel, text: str, style: str) -> tuple[list[int], int]:
    """The instruct-model prompt of ``style`` for ``text`` as token ids (literals never parsed for special
    tokens; the pieces tokenized apart, so every style's tokens up to the text are the same), and its head:
    how many leading tokens come before the text (the system turn and the examples: the same for every text
    of this language and kind)."""
    from opening.llama.model import tokenize_parts

    template = model.info.chat_template
    if template is None:
        raise BadInput("template.no_chat")
    turns, literals = instruct_prompt.conversation(text, style)
    parts = render_turns(template, turns, literals, bos_token=model.bos_text, eos_token=model.eos_text)
    if model.add_bos and model.bos_text and parts and parts[0][1] and parts[0][0].startswith(model.bos_text):
        parts[0] = (parts[0][0][len(model.bos_text) :], True)  # llama.cpp adds BOS itself; do not double it
    parts = [p for p in parts if p[0]]
    tokens = tokenize_parts(model, parts)
    at = max(k for k, part in enumerate(parts) if part == (text, False))  # the text's own turn is the last
    before = tokenize_parts(model, parts[:at]) if at else []
    head = 0
    while head < min(len(before), len(tokens)) and before[head] == tokens[head]:
        head += 1
    return tokens, head
