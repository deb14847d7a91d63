"""Token ids to train on, from llama.cpp's own tokenizer of the base: the converter writes the base's
vocabulary as a GGUF without tensors and the app's :class:`~opening.llama.model.LlamaModel` loads it
``vocab_only``. So the generator is trained on exactly the ids the desktop app will feed it (SentencePiece
itself differs, e.g. it folds runs of spaces, and transformers' converted tokenizers differ again).

A pair is tokenized in one piece — BOS, the prompt, a space, the completion — and cut where the prompt's
own tokens end (never tokenized in parts and joined); the completion ends with EOS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from opening.llama.model import LlamaModel
from opening_convert.gguf_export import write_vocab_gguf
from opening_train.bases import Base

log = logging.getLogger(__name__)

COMPLETION_SEP = " "
"""Between a reverse prompt's final ``X:`` and the instruction (the app's candidates start the same way)."""


@dataclass(frozen=True)
class Encoded:
    prompt: list[int]
    completion: list[int]

    def __len__(self) -> int:
        return len(self.prompt) + len(self.completion)


class Vocabulary:
    """The base's tokenizer as llama.cpp runs it (a context manager)."""

    def __init__(self, base: Base, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        path = write_vocab_gguf(base.config, base.tokenizer, base.folder, workdir / "vocab.gguf")
        self.model = LlamaModel(path, vocab_only=True)
        self.bos, self.eos, self.size = self.model.bos, self.model.eos, base.config.n_vocab
        self.pieces = [p if p else f"<{i}>" for i, p in enumerate(base.tokenizer.pieces)]
        self.pieces += [f"[PAD{i}]" for i in range(len(self.pieces), self.size)]
        self.split_at_boundary = 0
        """Pairs whose prompt and completion merged into one token across the boundary (logged)."""

    def encode(self, prompt: str, completion: str) -> Encoded:
        head = self.model.tokenize(prompt, add_special=True, parse_special=False)
        joined = self.model.tokenize(prompt + COMPLETION_SEP + completion, add_special=True, parse_special=False)
        cut = next((i for i, (a, b) in enumerate(zip(head, joined, strict=False)) if a != b), min(len(head), len(joined)))
        if cut < len(head):
            self.split_at_boundary += 1
        return Encoded(joined[:cut], joined[cut:] + [self.eos])

    def close(self) -> None:
        self.model.close()

    def __enter__(self) -> Vocabulary:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
