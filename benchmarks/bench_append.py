"""Appending one pair to a big dataset: time and peak memory of the process that appends.

    python benchmarks/bench_append.py [--mb 200] [--format demo|jsonl] [--code DIR ...]

Builds a dataset of about ``--mb`` MB once (demo JSON array or JSON Lines, pairs of ~6 KB), then for each
``--code`` source root (default: this checkout's ``desktop``; give an older checkout's ``desktop`` folder
to compare, e.g. a ``git worktree`` of the commit before) starts a fresh process that opens the dataset
and appends one pair, and prints its wall time for open + append and its peak RSS, then the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
try:  # the layout before the subpackages first (an editable install would otherwise mix the two)
    from opening.dataset_file import DatasetFile
    from opening.records import PairRecord
except ImportError:
    from opening.data.dataset_file import DatasetFile
    from opening.data.records import PairRecord
record = PairRecord(instruction="one more pair", output="小马过河" * 500)
t0 = time.perf_counter()
DatasetFile.open(Path(sys.argv[1])).append(record)
took = time.perf_counter() - t0
with open("/proc/self/status") as fh:
    peak = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
print(json.dumps({"seconds": took, "peak": peak}))
"""


def build(path: Path, mb: int, fmt: str) -> None:
    pair = {"instruction": "Write a story about a small horse crossing a river.", "output": "老马让小马把半口袋麦子驮到磨坊去。" * 110}
    line = json.dumps(pair, ensure_ascii=False)
    count = mb * 1_000_000 // (len(line.encode()) + 2)
    with path.open("w", encoding="utf-8") as fh:
        if fmt == "jsonl":
            fh.writelines(line + "\n" for _ in range(count))
        else:
            fh.write("[\n" + ",\n".join(line for _ in range(count)) + "\n]\n")


def run(code: Path, data: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(code), "OPENING_HOME": tempfile.mkdtemp(prefix="bench-append-")}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(data)], capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--format", choices=("demo", "jsonl"), default="demo")
    parser.add_argument("--code", type=Path, action="append", help="source root(s) to compare (default: this one)")
    args = parser.parse_args()
    codes = args.code or [HERE.parent / "desktop"]
    with tempfile.TemporaryDirectory(prefix="bench-append-") as tmp:
        master = Path(tmp) / ("pairs.jsonl" if args.format == "jsonl" else "pairs.json")
        build(master, args.mb, args.format)
        size = master.stat().st_size
        print(f"dataset: {size / 1e6:.0f} MB, {args.format}")
        results = []
        for code in codes:
            data = master.with_name("copy" + master.suffix)
            data.write_bytes(master.read_bytes())
            os.sync()  # the copy's dirty pages would otherwise be flushed by the append's fsync, and timed
            got = run(code, data)
            results.append(got)
            print(f"{code}: open + append {got['seconds'] * 1000:.1f} ms, peak RSS {got['peak'] / 1e6:.0f} MB")
            data.unlink()
        for code, got in zip(codes[1:], results[1:]):
            base = results[0]
            print(f"{code} vs {codes[0]}: time x{got['seconds'] / base['seconds']:.3g},"
                  f" peak RSS x{got['peak'] / base['peak']:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
