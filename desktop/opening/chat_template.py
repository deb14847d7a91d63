"""Render a GGUF's Jinja chat template safely (sandboxed), split around the user's text."""

from __future__ import annotations

import datetime
from functools import lru_cache

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import ModelError

_MARKER = "\u2063OPENING-TEXT\u2063"


class _TemplateError(Exception):
    pass


def _raise(message: str) -> None:
    raise _TemplateError(message)


def _strftime_now(fmt: str) -> str:
    return datetime.datetime.now().strftime(fmt)


@lru_cache(maxsize=8)
def _compile(source: str) -> jinja2.Template:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals.update(raise_exception=_raise, strftime_now=_strftime_now)
    try:
        return env.from_string(source)
    except jinja2.TemplateError as exc:
        raise ModelError(f"the model's chat template does not parse: {exc}") from None


def render(source: str, messages: list[dict[str, str]], *, bos_token: str, eos_token: str) -> str:
    try:
        return _compile(source).render(
            messages=messages, add_generation_prompt=True, bos_token=bos_token, eos_token=eos_token
        )
    except (_TemplateError, jinja2.TemplateError, TypeError, ValueError) as exc:
        raise ModelError(f"the model's chat template failed: {exc}") from None


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
        raise ModelError("the model's chat template alters the text; use --template opening")
    return rendered[:at], rendered[at + len(text):]
