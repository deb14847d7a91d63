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
