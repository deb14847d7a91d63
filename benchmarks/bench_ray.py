"""Batch mode on Ray vs local batch mode on this machine: the overhead of the Ray path, in one run.

    python benchmarks/bench_ray.py [--passages 24] [-n 3] [--max-tokens 48]

Both run the same passages (the first --passages outputs of tests/data/dev_pairs.jsonl, English and
Chinese) with the same seed, as a user runs them (``opening batch`` processes, the demo model):

  (a) local batch mode, 2 threads, passages in flight measured as by default;
  (b) ``--ray`` on a Ray instance started on this machine: 2 actors × 1 thread, 2 passages per call.

Prints each wall time (the whole command: model load, Ray start, actors' model loads), passages/h and
the ratio (b)/(a). The point of Ray is more machines; on one 2-core machine this is its cost. Needs the
``cluster`` extra. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=24)
    parser.add_argument("-n", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=48)
    args = parser.parse_args()
    dev = [json.loads(x) for x in (ROOT / "tests" / "data" / "dev_pairs.jsonl").read_text("utf-8").splitlines()]
    texts = [d["output"] for d in dev][: args.passages]
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        folder = Path(tmp)
        corpus = folder / "corpus.jsonl"
        corpus.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
        env = {**os.environ, "OPENING_HOME": str(folder / "home")}
        common = ["-n", str(args.n), "--max-tokens", str(args.max_tokens), "--seed", "1"]
        runs = {
            "local batch, 2 threads": ["--out", str(folder / "local.jsonl"), "--threads", "2", *common],
            "ray, 2 actors x 1 thread": ["--out", str(folder / "shards"), "--threads", "1", "--parallel", "1",
                                         "--ray", "--actors", "2", "--batch-size", "2", *common],
        }
        seconds = {}
        for name, extra in runs.items():
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "opening", "batch", str(corpus), *extra], env=env,
                                  capture_output=True, text=True)
            seconds[name] = time.perf_counter() - t0
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return 1
            print(f"{name}: {seconds[name]:.1f} s, {3600 * len(texts) / seconds[name]:.0f} passages/h")
        local, ray = seconds.values()
        print(f"ray / local wall time: {ray / local:.2f} ({len(texts)} passages, n={args.n}, max tokens {args.max_tokens})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
