"""Whether the ``train`` extra is installed: ``fit`` and ``prefer`` need torch, transformers, peft, trl,
datasets and accelerate, and say so in one line instead of an ImportError deep in a stack."""

from __future__ import annotations

import importlib.util

from opening.base.errors import BadInput

NEEDED = ("torch", "transformers", "accelerate", "peft", "trl", "datasets")


def require_extra() -> None:
    missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    if missing:
        raise BadInput("train.needs_extra", missing=", ".join(missing))
