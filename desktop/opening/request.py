"""One generation request: check the user's text, build the prompts, sample candidates.

The CLI and the window both call :func:`generate_candidates`; nothing here knows about either.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from .engine import CancelFn, Engine, GenerationResult, PieceFn, SamplingParams
from .errors import BadInput
from .templates import build_prompts

MAX_TEXT_CHARS = 200_000
"""Far beyond any model's context; longer input is refused before tokenizing it."""


@dataclass
class Request:
    text: str
    params: SamplingParams = field(default_factory=SamplingParams)
    family: str = "auto"


def check_text(text: str) -> str:
    """Refuse empty, binary or absurdly long text; the text itself is kept as given."""
    if not text or not text.strip():
        raise BadInput("the text is empty: give the output you want an instruction for")
    if "\x00" in text:
        raise BadInput("the text contains NUL characters: is it a binary file?")
    if len(text) > MAX_TEXT_CHARS:
        raise BadInput(f"the text is {len(text)} characters long; the limit is {MAX_TEXT_CHARS}")
    return text


def read_text_file(path: str) -> str:
    """Read a UTF-8 text file (``-`` is standard input) with a clear message for anything else."""
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise BadInput(f"text file not found: {path}") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder, not a text file") from None
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if b"\x00" in raw:
        raise BadInput(f"{path} is not a text file (it contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path} is not UTF-8 text (bad byte at offset {exc.start})") from None


def generate_candidates(
    engine: Engine,
    request: Request,
    *,
    on_piece: PieceFn | None = None,
    cancel: CancelFn | None = None,
) -> GenerationResult:
    text = check_text(request.text)
    request.params.validate()
    prompts = build_prompts(engine.model, text, request.family)
    return engine.generate(prompts, request.params, on_piece=on_piece, cancel=cancel)
