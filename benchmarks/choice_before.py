"""The "before" column of docs/choice.md's quality table: the candidates and picks of the tree before the
instruct prompts (commit 8339036^: zero-shot English reverse questions, no junk rules), judged by the
quality measures of this tree (language match, refusals and unseen references, nothing chosen, ROUGE-L).

Run it with the old tree first on the path, and this tree's folder as ``--now``::

    git worktree add /tmp/before 8339036^
    PYTHONPATH=/tmp/before/desktop .venv/bin/python benchmarks/choice_before.py PAIRS.jsonl --model GGUF \
        --now desktop [--seed 1] [--threads 2]

It prints one line in the shape of ``opening eval-choice``'s quality line, for the ``nll`` policy (the
old default), and the seconds per text. The NLL gap to the gold instruction is not printed: the old
evaluation does not keep the gold's score.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any


def load_from(path: Path, name: str) -> ModuleType:
    """Load one of this tree's modules under ``name`` (the old tree owns the ``opening`` package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", type=Path)
    parser.add_argument("--model", required=True)
    parser.add_argument("--now", type=Path, required=True, help="this tree's desktop/ folder")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    from opening.base.choice import Choice
    from opening.base.sampling import SamplingParams
    from opening.llama.engine import EngineSettings
    from opening.pipeline.choice_eval import load_dev_pairs, rouge_l
    from opening.pipeline.ranking import rank
    from opening.pipeline.request import Request, generate_candidates
    from opening.pipeline.run import open_engine

    pipeline = args.now / "opening" / "pipeline"
    prompts = load_from(pipeline / "instruct_prompt.py", "opening.pipeline.instruct_prompt")
    junk = load_from(pipeline / "junk_rules.py", "opening.pipeline.junk_rules")

    def is_junk(c: Any, text: str) -> bool:
        return junk.junk_reason(c.instruction, c.input, text) in (junk.REFUSAL, junk.UNSEEN)

    chosen: list[tuple[Any, Any]] = []
    written: list[tuple[Any, Any]] = []
    seconds: list[float] = []
    pairs = load_dev_pairs(args.pairs)
    engine, _ = open_engine(Path(args.model), EngineSettings(threads=args.threads))
    with engine:
        for pair in pairs:  # what `opening generate --seed N` did then, text by text
            t0 = time.perf_counter()
            result = generate_candidates(engine, Request(pair.output, SamplingParams(seed=args.seed), "auto"))
            ranking = rank(engine, pair.output, result, choice=Choice("nll", 1.0))
            seconds.append(time.perf_counter() - t0)
            written += [(pair, c) for c in ranking.candidates if c.instruction.strip()]
            if ranking.chosen is not None:
                chosen.append((pair, ranking.candidates[ranking.chosen]))
    n = max(1, len(chosen))
    language = sum(prompts.text_language(p.prompt_text) == prompts.text_language(o.output) for o, p in chosen) / n
    junk_written = sum(is_junk(c, o.output) for o, c in written) / max(1, len(written))
    junk_chosen = sum(is_junk(p, o.output) for o, p in chosen) / n
    rouge = statistics.fmean(rouge_l(p.prompt_text, o.instruction) for o, p in chosen) if chosen else 0.0
    print(
        f"before (nll): chosen in the text's language {language:.0%}; refusals or unseen references {junk_written:.0%}"
        f" of candidates, {junk_chosen:.0%} of chosen; nothing chosen {1 - len(chosen) / max(1, len(pairs)):.0%};"
        f" ROUGE-L chosen {rouge:.3f}; {len(pairs)} texts, {statistics.fmean(seconds):.1f} s per text"
    )
    for o, p in chosen:
        print(f"  {o.instruction[:60]!r} -> {p.prompt_text[:80]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
