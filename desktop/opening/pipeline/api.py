"""The documented Python API (``import opening``): load an engine, run one text, save the pair.

The CLI and the window are built on the same calls (``open_engine``, ``run_request``, ``DatasetFile``);
these wrappers give them the defaults a script wants::

    import opening

    with opening.load_engine() as engine:          # the model the CLI would pick (or a GGUF path)
        outcome = opening.generate(engine, "happy", n=5, seed=1)
    print(outcome.pair)                            # {"instruction": …, "output": "happy"}
    if outcome.chosen_record is not None:
        opening.save(outcome, "pairs.jsonl")        # appended, locked and crash-safe
"""

from __future__ import annotations

from pathlib import Path

from opening.base.choice import Choice
from opening.base.errors import BadInput
from opening.base.progress import CancelFn
from opening.base.sampling import SamplingParams
from opening.base.settings import Settings
from opening.data.dataset_file import DatasetFile, Placed
from opening.data.records import PairRecord
from opening.llama.engine import Engine, PieceFn
from opening.models.resolve import resolve_model, resolve_scorer
from opening.pipeline.request import Request, check_text
from opening.pipeline.run import Outcome, engine_settings, open_engine_and_scorer, run_request


def load_engine(
    model: str | Path | None = None,
    *,
    scorer: str | Path | None = None,
    threads: int | None = None,
    gpu_layers: int | None = None,
) -> Engine:
    """Load ``model`` (default: ``OPENING_MODEL``, the settings' default, then the embedded demo model),
    vetted first; use it as a context manager or call ``close()``. ``scorer``: a smaller GGUF that scores
    the candidates (default: the settings' ``scorer_model``, else ``model`` scores its own)."""
    settings = Settings.load()
    path = resolve_model(model, settings).path
    chosen = engine_settings(settings, threads=threads, gpu_layers=gpu_layers)
    engine, _note = open_engine_and_scorer(path, chosen, resolve_scorer(scorer, settings))
    return engine


def generate(
    engine: Engine,
    text: str,
    *,
    template: str = "auto",
    choice: Choice | None = None,
    on_piece: PieceFn | None = None,
    cancel: CancelFn | None = None,
    **params: float | int | None,
) -> Outcome:
    """Sample candidate instructions for ``text`` and rank them. ``params`` are :class:`SamplingParams`
    fields (``temperature``, ``top_p``, ``top_k``, ``n``, ``max_tokens``, ``seed``); ``choice`` how the
    pair is chosen (:class:`~opening.base.choice.Choice`: policy, IFD threshold, save anyway, judge)."""
    try:
        sampling = SamplingParams(**params)  # type: ignore[arg-type]
    except TypeError as exc:
        raise BadInput("params.unknown", detail=str(exc)) from None
    sampling.validate()
    choice = choice or Choice()
    choice.validate()
    request = Request(check_text(text), sampling, template, choice)
    return run_request(engine, request, source="api", on_piece=on_piece, cancel=cancel)


def save(what: Outcome | PairRecord, path: str | Path, fmt: str | None = None) -> Placed:
    """Append the chosen pair of an outcome (or a record) to a dataset file (format from the name or
    the file, as ``--save``)."""
    record = what.chosen_record if isinstance(what, Outcome) else what
    if record is None:
        raise BadInput("save.nothing_chosen")
    return DatasetFile.open(path, fmt).append(record)
