"""One generation request: check the user's text, build the prompts, sample candidates.

The CLI and the window both call :func:`generate_candidates`; nothing here knows about either.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from opening.base.checks import plain_text, regular_file
from opening.base.choice import Choice
from opening.base.errors import BadInput, describe_os_error
from opening.base.messages import Message
from opening.base.progress import CancelFn
from opening.base.sampling import SamplingParams
from opening.pipeline.candidate_filter import sealed
from opening.pipeline.templates import build_prompts

if TYPE_CHECKING:
    from opening.llama.continuous import SealFn
    from opening.llama.engine import Engine, GenerationResult, Job, PieceFn

MAX_TEXT_CHARS = 200_000
"""Far beyond any model's context; longer input is refused before tokenizing it."""


@dataclass
class Request:
    text: str
    params: SamplingParams = field(default_factory=SamplingParams)
    family: str = "auto"
    choice: Choice = field(default_factory=Choice)
    early_stop: bool = True
    """Stop a candidate as soon as its fate is sealed (the same verdict; fewer tokens generated): every
    mode, the CLI, the window, the API, batch and Ray, runs with it unless told not to."""


def check_text(text: str) -> str:
    """Refuse empty, binary, non-UTF-8 or absurdly long text; the text itself is kept as given."""
    plain_text(text, "what.the_text")
    if not text or not text.strip():
        raise BadInput("text.empty")
    if "\x00" in text:
        raise BadInput("text.nul")
    if len(text) > MAX_TEXT_CHARS:
        raise BadInput("text.too_long", chars=len(text), limit=MAX_TEXT_CHARS)
    return text


def read_text_file(path: str) -> str:
    """Read a UTF-8 text file (``-`` is standard input) with a clear message for anything else."""
    if path == "-":
        if sys.stdin is None:
            raise BadInput("cli.stdin_closed")
        stream = sys.stdin.buffer
    else:
        size = regular_file(Path(path), "what.text_file").st_size
        if size > 4 * MAX_TEXT_CHARS:
            raise BadInput("text.file_too_big", path=path, size=size, limit=MAX_TEXT_CHARS)
        stream = None
    try:
        if stream is not None:
            raw = stream.read(4 * MAX_TEXT_CHARS + 1)
        else:
            raw = Path(path).read_bytes()
    except (OSError, ValueError) as exc:
        reason = describe_os_error(exc) if isinstance(exc, OSError) else Message("os.closed")
        raise BadInput("path.cannot_read", path=Message("cli.stdin") if path == "-" else path, reason=reason) from None
    if b"\x00" in raw:
        raise BadInput("text.file_nul", path=path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput("text.file_not_utf8", path=path, offset=exc.start) from None


def early_stop_rule(output: str) -> SealFn:
    """The engine's seal check for candidates of ``output`` (opening.pipeline.candidate_filter.sealed)."""
    return lambda raw, tokens_left: sealed(raw, output, tokens_left)


def request_job(engine: Engine, request: Request, *, tag: object = None) -> Job:
    """The request as an engine job (text checked, prompts built, sizes checked, the early-stop rule)."""
    text = check_text(request.text)
    seal = early_stop_rule(text) if request.early_stop else None
    return engine.job(build_prompts(engine.model, text, request.family), request.params, tag=tag, seal=seal)


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
    seal = early_stop_rule(text) if request.early_stop else None
    return engine.generate(prompts, request.params, on_piece=on_piece, cancel=cancel, seal=seal)
