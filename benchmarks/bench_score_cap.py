"""How often the scoring length cap (``--score-max-tokens``) changes the chosen candidate, and what it saves.

    python benchmarks/bench_score_cap.py [--model PATH|smollm2|gemma] [--passages 8] [--threads 2]

Texts: the seed poster's two examples with the five candidates the fine-tuned Baichuan-7B wrote for
them (benchmarks/seed_examples.py), and long passages (700+ tokens: paragraphs packed together) from the
licence texts Debian ships in /usr/share/common-licenses (GPL-3, Apache-2.0, MPL-2.0), each with five
candidates sampled by the model. Every text is ranked with the cap at 512 (the default), at 256, and
with no cap (0), from the same candidates; the chosen candidate and the scoring time are compared.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench_models import model_path
from seed_examples import SEED_EXAMPLES

from opening.base.choice import Choice
from opening.base.sampling import SamplingParams
from opening.llama.engine import Candidate, Engine, EngineSettings, GenerationResult
from opening.pipeline.ranking import rank
from opening.pipeline.request import Request, generate_candidates

LICENCES = ("GPL-3", "Apache-2.0", "MPL-2.0")
CAPS = (512, 256, 0)


def long_passages(engine: Engine, n: int, min_tokens: int = 700) -> list[str]:
    out: list[str] = []
    for name in LICENCES:
        path = Path("/usr/share/common-licenses") / name
        if not path.is_file():
            continue
        current: list[str] = []
        for para in (p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()):
            current.append(" ".join(para.split()))
            text = "\n\n".join(current)
            if len(engine.model.tokenize(text, add_special=False, parse_special=False)) >= min_tokens:
                out.append(text)
                current = []
                if len(out) >= n:
                    return out
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--passages", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    engine = Engine(model_path(args.model), EngineSettings(threads=args.threads))
    cases: list[tuple[str, str, GenerationResult]] = []
    for name, (text, cands) in SEED_EXAMPLES.items():
        made = [Candidate(i, "opening/instruction", c, 0, "eog") for i, c in enumerate(cands)]
        cases.append((f"poster:{name}", text, GenerationResult(made, 0, 0, 0, 0, 0.0, 0.0)))
    params = SamplingParams(n=5, max_tokens=48, seed=3)
    for k, text in enumerate(long_passages(engine, args.passages)):
        cases.append((f"licence:{k}", text, generate_candidates(engine, Request(text, params, "auto"))))
    capped = [cap for cap in CAPS if cap]
    changed = {cap: 0 for cap in capped}
    seconds = {cap: 0.0 for cap in CAPS}
    for label, text, result in cases:
        chosen = {}
        for cap in CAPS:
            t0 = time.perf_counter()
            ranking = rank(engine, text, result, choice=Choice(score_max_tokens=cap))
            seconds[cap] += time.perf_counter() - t0
            chosen[cap] = ranking.best
        tokens = len(engine.model.tokenize(text, add_special=False, parse_special=False))
        for cap in capped:
            changed[cap] += chosen[cap] != chosen[0]
        picks = "/".join(str(chosen[cap]) for cap in CAPS)
        print(f"{label}: {tokens} tokens; best candidate with cap 512/256/none: {picks}", flush=True)
    total = len(cases)
    for cap in capped:
        print(f"cap {cap}: chosen candidate differs from no cap on {changed[cap]} of {total} texts;"
              f" scoring time {seconds[cap] / seconds[0]:.2f}× of no cap")
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
