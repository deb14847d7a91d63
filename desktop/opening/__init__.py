"""OpenING Desktop: turn real text into instruction-tuning pairs with local GGUF models.

The Python API the CLI and the window are built on (names load on first use, so ``import opening``
pulls in neither llama.cpp nor Qt)::

    import opening

    with opening.load_engine() as engine:          # the model the CLI would pick (or a GGUF path)
        outcome = opening.generate(engine, "happy", n=5, seed=1)
    print(outcome.pair)                            # {"instruction": …, "output": "happy"}
    for cand in outcome.candidates:                # every candidate: cleaned, rejected or scored
        print(cand.instruction, cand.nll, cand.ifd, cand.rejected)
    if outcome.chosen_record is not None:
        opening.save(outcome, "pairs.jsonl")        # appended, locked and crash-safe

Packages (each ``__init__`` says what lives there and what it may import): ``opening.base`` (errors,
paths, settings, limits), ``opening.models`` (GGUF files, Hub, catalog), ``opening.data`` (pairs on
disk), ``opening.llama`` (the only llama.cpp importer), ``opening.pipeline`` (one run), ``opening.cli``
and ``opening.gui`` (the two front ends).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_engine": "opening.pipeline.api",
    "generate": "opening.pipeline.api",
    "save": "opening.pipeline.api",
    "rank": "opening.pipeline.ranking",
    "Outcome": "opening.pipeline.run",
    "Engine": "opening.llama.engine",
    "EngineSettings": "opening.llama.engine",
    "SamplingParams": "opening.base.sampling",
    "Choice": "opening.base.choice",
    "DatasetFile": "opening.data.dataset_file",
    "PairRecord": "opening.data.records",
    "OpeningError": "opening.base.errors",
    "BadInput": "opening.base.errors",
    "ModelError": "opening.base.errors",
    "Cancelled": "opening.base.errors",
}
__all__ = [
    "BadInput",
    "Cancelled",
    "Choice",
    "DatasetFile",
    "Engine",
    "EngineSettings",
    "ModelError",
    "OpeningError",
    "Outcome",
    "PairRecord",
    "SamplingParams",
    "__version__",
    "generate",
    "load_engine",
    "rank",
    "save",
]

if TYPE_CHECKING:
    from opening.base.choice import Choice
    from opening.base.errors import BadInput, Cancelled, ModelError, OpeningError
    from opening.base.sampling import SamplingParams
    from opening.data.dataset_file import DatasetFile
    from opening.data.records import PairRecord
    from opening.llama.engine import Engine, EngineSettings
    from opening.pipeline.api import generate, load_engine, save
    from opening.pipeline.ranking import rank
    from opening.pipeline.run import Outcome


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'opening' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
