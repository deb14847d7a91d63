"""Render a GGUF's Jinja chat template safely, split around the user's text.

A chat template is code from a model file. It runs in Jinja's immutable sandbox, with limits on top:
the ``range`` items one render may create (nested loops), the size of ``*`` and ``**`` results, the
output's length, the recursion depth (macros, recursive loops) and the time. Any failure is "this
model's chat template failed: …", with the ``opening`` template family as the way on.
"""

from __future__ import annotations

import datetime
import threading
import time
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from opening.base.errors import ModelError

_MARKER = "\u2063OPENING-TEXT\u2063"


MAX_RANGE_ITEMS = 1_000_000
"""``range`` items one render may create, over all its loops (a real template needs a few dozen)."""
MAX_OUTPUT_CHARS = 1_000_000
MAX_SECONDS = 5.0


class _TemplateError(Exception):
    pass


class _Budget(threading.local):
    range_items = 0
    deadline = 0.0


_budget = _Budget()


def _range(*args: int) -> range:
    r = range(*args)
    _budget.range_items += len(r)
    if _budget.range_items > MAX_RANGE_ITEMS:
        raise _TemplateError(f"it loops over more than {MAX_RANGE_ITEMS} items")
    if time.monotonic() > _budget.deadline:
        raise _TemplateError(f"it ran for more than {MAX_SECONDS:.0f} s")
    return r


class _LimitedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise _TemplateError("it raises a number to a huge power")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_OUTPUT_CHARS:
                    raise _TemplateError("it builds a huge string or list")
        return super().call_binop(context, operator, left, right)


def _raise(message: str) -> None:
    raise _TemplateError(message)


def _strftime_now(fmt: str) -> str:
    return datetime.datetime.now().strftime(fmt)


@lru_cache(maxsize=8)
def _compile(source: str) -> jinja2.Template:
    env = _LimitedSandbox(trim_blocks=True, lstrip_blocks=True)
    env.globals.update(raise_exception=_raise, strftime_now=_strftime_now, range=_range)
    try:
        return env.from_string(source)
    except (jinja2.TemplateError, RecursionError, MemoryError, ValueError, TypeError) as exc:
        raise ModelError("template.chat_parse", detail=str(exc)[:200]) from None


def render(source: str, messages: list[dict[str, str]], *, bos_token: str, eos_token: str) -> str:
    template = _compile(source)
    _budget.range_items, _budget.deadline = 0, time.monotonic() + MAX_SECONDS
    out: list[str] = []
    length = 0
    try:
        for chunk in template.generate(messages=messages, add_generation_prompt=True, bos_token=bos_token, eos_token=eos_token):
            length += len(chunk)
            if length > MAX_OUTPUT_CHARS:
                raise _TemplateError(f"its output is longer than {MAX_OUTPUT_CHARS} characters")
            if time.monotonic() > _budget.deadline:
                raise _TemplateError(f"it ran for more than {MAX_SECONDS:.0f} s")
            out.append(chunk)
    except RecursionError:
        raise ModelError("template.chat_recursion") from None
    except (
        _TemplateError,
        jinja2.TemplateError,
        TypeError,
        ValueError,
        AttributeError,
        IndexError,
        KeyError,
        ArithmeticError,
        MemoryError,
        OverflowError,
    ) as exc:
        raise ModelError("template.chat_failed", detail=str(exc)[:200]) from None
    return "".join(out)


def render_chat(source: str, question: str, text: str, *, bos_token: str, eos_token: str) -> tuple[str, str]:
    """Render one user turn asking ``question`` (``{text}`` in it stands for ``text``).

    Returns the rendered prompt as ``(prefix, suffix)``: the text goes between them, untouched by the
    template (so that it can be tokenized without special-token parsing).
    """
    rendered = render(
        source,
        [{"role": "user", "content": question.replace("{text}", _MARKER)}],
        bos_token=bos_token,
        eos_token=eos_token,
    )
    if rendered.count(_MARKER) == 1:
        prefix, suffix = rendered.split(_MARKER)
        return prefix, suffix
    # the template rewrote the content (rare): render the real text and find it
    rendered = render(
        source,
        [{"role": "user", "content": question.replace("{text}", text)}],
        bos_token=bos_token,
        eos_token=eos_token,
    )
    at = rendered.find(text)
    if at < 0:
        raise ModelError("template.chat_alters")
    return rendered[:at], rendered[at + len(text) :]


def _marker(k: int) -> str:
    return f"\u2063OPENING-LITERAL-{k}\u2063"


def render_turns(
    source: str, turns: list[tuple[str, list[str | int]]], literals: list[str], *, bos_token: str, eos_token: str
) -> list[tuple[str, bool]]:
    """Render a conversation whose turns mix fixed words (str) and literal texts (int: an index into
    ``literals``: the user's text, an example's output) as prompt parts ``(text, is_template)``: the
    literals come out as their own parts, untouched by the template (tokenized without special-token
    parsing). ``turns``: (role, pieces). A template that refuses a system turn gets it folded into the
    first user turn. Raises :class:`ModelError` when the template rewrites a literal."""

    def content(pieces: list[str | int]) -> str:
        return "".join(_marker(p) if isinstance(p, int) else p for p in pieces)

    messages = [{"role": role, "content": content(pieces)} for role, pieces in turns]
    try:
        rendered = render(source, messages, bos_token=bos_token, eos_token=eos_token)
    except ModelError:
        if not messages or messages[0]["role"] != "system" or len(messages) < 2:
            raise
        folded = [{"role": messages[1]["role"], "content": messages[0]["content"] + "\n\n" + messages[1]["content"]}]
        rendered = render(source, folded + messages[2:], bos_token=bos_token, eos_token=eos_token)
    parts: list[tuple[str, bool]] = []
    rest = rendered
    order = [p for _role, pieces in turns for p in pieces if isinstance(p, int)]
    for k in order:
        mark = _marker(k)
        if rest.count(mark) != 1:
            raise ModelError("template.chat_alters")
        before, rest = rest.split(mark)
        parts += [(before, True), (literals[k], False)]
    parts.append((rest, True))
    return [(text, special) for text, special in parts if text]
