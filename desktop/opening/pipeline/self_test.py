"""The self-test (``OpenING --self-test``, ``opening self-test``, Help ▸ Self-test): the whole path on
the bundled demo model — load it, generate candidates for the poster's two examples (English and
Chinese), rank them, save a pair to a temporary folder and read it back — and one line that says what
passed, with timings.

It proves the machinery, not the quality: the demo model (SmolLM2-135M) is far too small to write
good instructions, so a text whose candidates were all rejected still passes, as long as they were
generated and ranked (and the scoring ran on at least one of them); the saved pair is then the
best-scored candidate's.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from opening.base.errors import ModelError, OpeningError
from opening.base.messages import Message
from opening.data.dataset_file import DatasetFile
from opening.data.records import PairRecord
from opening.llama.backend import cpu_library
from opening.llama.engine import EngineSettings
from opening.models.resolve import HOW_TO_GET_ONE, embedded_model
from opening.pipeline.api import generate
from opening.pipeline.run import Outcome, open_engine

log = logging.getLogger(__name__)

POSTER_EXAMPLES = (
    "happy",
    "老马让小马把半口袋麦子驮到磨坊去。途中遇到一条小河，小马询问老牛能不能过河。老牛说：“水很浅，刚没小腿，能过去。”",
)
"""The outputs of the poster's two worked examples (the Chinese story's first sentences)."""


@dataclass
class SelfTest:
    model: str = ""
    cpu: str = ""
    """The CPU library a portable build picked for this processor ("" for a native build)."""
    load_s: float = 0.0
    runs: list[str] = field(default_factory=list)
    """One phrase per example: candidates, time, what was chosen."""
    saved: str = ""
    problem: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problem

    def verdict(self) -> str:
        head = "self-test passed" if self.ok else f"self-test FAILED: {self.problem}"
        loaded = f"{self.model} loaded in {self.load_s:.1f} s" + (f" with {self.cpu}" if self.cpu else "")
        parts = [loaded if self.model else "", *self.runs, self.saved]
        said = "; ".join(p for p in parts if p)
        return f"{head} ({said}; {self.seconds:.1f} s in all)" if said else head


def run_self_test(
    model: Path | None = None,
    *,
    quick: bool = False,
    n: int = 3,
    max_tokens: int = 32,
    seed: int = 1,
    threads: int | None = None,
) -> SelfTest:
    """Run the self-test on ``model`` (default: the bundled demo model); never raises for a failure of
    the app (it is in ``problem``). ``quick``: the English example only, 2 candidates of 8 tokens (for
    emulated CPUs, where everything is ~100 times slower)."""
    result = SelfTest()
    start = time.perf_counter()
    examples = POSTER_EXAMPLES[:1] if quick else POSTER_EXAMPLES
    if quick:
        n, max_tokens = 2, 8
    try:
        _run(result, model, examples, n=n, max_tokens=max_tokens, seed=seed, threads=threads)
    except OpeningError as exc:
        result.problem = str(exc)
    except Exception as exc:  # the self-test reports, it does not crash
        log.exception("self-test")
        result.problem = f"{type(exc).__name__}: {exc}"
    result.seconds = time.perf_counter() - start
    return result


def _run(
    result: SelfTest, model: Path | None, examples: tuple[str, ...], *, n: int, max_tokens: int, seed: int, threads: int | None
) -> None:
    path = model or embedded_model()
    if path is None:
        raise ModelError("self_test.no_demo", how=Message(HOW_TO_GET_ONE))
    result.model = path.name
    t0 = time.perf_counter()
    settings = EngineSettings()
    if threads:
        settings.threads = threads
    engine, _note = open_engine(path, settings)
    result.load_s = time.perf_counter() - t0
    result.cpu = cpu_library()
    with engine:
        outcomes = []
        for text in examples:
            t0 = time.perf_counter()
            outcome = generate(engine, text, n=n, max_tokens=max_tokens, seed=seed)
            _check(outcome, text, n)
            outcomes.append(outcome)
            pick = f"chosen #{outcome.chosen + 1}" if outcome.chosen is not None else f"none kept ({outcome.status})"
            result.runs.append(f"{_label(text)}: {n} candidates ranked in {time.perf_counter() - t0:.1f} s, {pick}")
        if not any(c.nll is not None for o in outcomes for c in o.candidates):
            raise OpeningError("self_test.none_scored")
    with tempfile.TemporaryDirectory(prefix="opening-self-test-") as folder:
        target = Path(folder) / "pairs.json"
        records = [_pair(o) for o in outcomes]
        dataset = DatasetFile.open(target)
        for record in records:
            dataset.append(record)
        back = DatasetFile.open(target).items()
        if [(item["instruction"], item["output"]) for item in back] != [(r.instruction, r.output) for r in records]:
            raise OpeningError("self_test.read_back", path=target)
        result.saved = f"{len(records)} pairs saved to a temporary folder and read back"


def _check(outcome: Outcome, text: str, n: int) -> None:
    if outcome.cancelled or len(outcome.candidates) != n:
        raise OpeningError("self_test.count", label=_label(text), n=n, got=len(outcome.candidates))
    if not any(c.raw.strip() for c in outcome.candidates):
        raise OpeningError("self_test.all_empty", label=_label(text))
    scored = [c.nll for c in outcome.candidates if c.nll is not None]
    if not all(math.isfinite(x) for x in scored):
        raise OpeningError("self_test.nan", label=_label(text), scores=scored)


def _pair(outcome: Outcome) -> PairRecord:
    """The chosen pair, or (the demo model being small) the best-scored candidate's, or the first one's."""
    if outcome.chosen_record is not None:
        return outcome.chosen_record
    scored = [c for c in outcome.candidates if c.nll is not None]
    best = min(scored, key=lambda c: c.nll or 0.0) if scored else outcome.candidates[0]
    return PairRecord(instruction=best.instruction or best.raw.strip() or "(empty)", output=outcome.request.text)


def _label(text: str) -> str:
    return repr(text if len(text) <= 12 else text[:10] + "…")
