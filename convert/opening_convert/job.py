"""The whole conversion as a library call (the CLI and the window's dialog both call :func:`convert`)."""

from __future__ import annotations

import logging
from pathlib import Path

from opening.base.atomic import remove_quietly
from opening.base.checks import new_or_regular_file
from opening.base.errors import BadInput
from opening.base.progress import StageFn

from .checkpoint import Weights, input_files, read_config
from .errors import ConvertError
from .gguf_export import disk_reason, write_gguf
from .quantize import quantize
from .sentencepiece_model import SentencePieceModel
from .tokenizer_files import read_tokenizer
from .types import FLOAT_TYPES

log = logging.getLogger("opening_convert")


def convert(
    checkpoint: Path,
    out: Path,
    out_type: str,
    *,
    name: str | None = None,
    force: bool = False,
    keep_f16: bool = False,
    threads: int = 2,
    progress: StageFn | None = None,
) -> Path:
    """The whole job; raises ConvertError (BadInput for an existing output without ``force``)."""
    exists = new_or_regular_file(out, "what.output_gguf", BadInput) is not None
    if exists and not force:
        raise BadInput("convert.exists", path=out)
    cfg = read_config(checkpoint)
    if any(out.resolve() == src.resolve() for src in input_files(checkpoint)):
        raise BadInput("convert.onto_input", path=out)
    probe = out.with_name(f".{out.name}.probe")
    try:  # a read-only or forbidden folder is reported before minutes of work
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ConvertError("convert.cannot_write_in", folder=out.parent, reason=disk_reason(exc)) from None
    tokenizer = read_tokenizer(checkpoint, cfg.family)
    if isinstance(tokenizer, SentencePieceModel) and tokenizer.normalizer != "identity":
        log.warning(
            "tokenizer.model uses the %r normaliser; llama.cpp does not apply it, so some text (full-width"
            " punctuation such as '，') may tokenize differently than in transformers",
            tokenizer.normalizer,
        )
    weights = Weights(checkpoint)
    try:
        label = name or cfg.name
        if out_type in FLOAT_TYPES:
            write_gguf(cfg, weights, tokenizer, checkpoint, out, out_type, label, progress)
        else:
            f16 = out.with_name(f"{out.stem}.F16.gguf") if keep_f16 else out.with_name(f".{out.name}.f16.gguf")
            try:
                write_gguf(cfg, weights, tokenizer, checkpoint, f16, "F16", label, progress)
                quantize(f16, out, out_type, threads, progress)
            finally:
                if not keep_f16:
                    remove_quietly(f16)
    finally:
        weights.close()
    return out
