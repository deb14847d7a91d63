"""Human-written pairs for measuring the instruction quality: a fixed split of ``shared/data`` into bank,
dev and test parts, written as ``opening eval-choice`` files.

    python benchmarks/human_pairs.py OUT_FOLDER [--shared ../shared/data] [--per-language 12] [--train]

* English: databricks-dolly-15k's head (CC BY-SA 3.0), records without a context (the text alone is the
  output). Lines 1–250 are the **bank** part (the few-shot examples in
  ``desktop/opening/pipeline/fewshot_bank.json`` come only from there), lines 251–500 the **dev** part,
  501 on the **test** part.
* Chinese: COIG-CQIA samples (human answers; no licence stated, so nothing of it is copied into the
  repository: this script reads it where the project's shared folder is). The Chinese few-shot examples
  were written for the project, so no COIG record is in the bank; in each of the seven subsets, records
  at even positions are **dev**, odd ones **test**.

``--train`` also writes the **training** sources for a generator (docs/train.md): every record of the bank
and dev parts in its source's own format (``train-dolly.jsonl``: Dolly lines 1–500, with or without a
context; ``train-coig.jsonl``: the COIG records at even positions), for ``opening-train data --dolly …
--coig …``. Nothing of the test part is in them, so a generator trained on them is measured on
``human-test.jsonl`` as the prompted models are.

The parts never overlap, and each is taken in file order, ``--per-language`` texts per language spread
evenly over the categories (Dolly) or subsets (COIG), outputs of 20–1,200 characters. Tune on dev; the
test part is for the figures in docs/choice.md only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

DOLLY = "dolly-15k-head.jsonl"
COIG = "coig-cqia-sample.jsonl"
BANK_LINES = 250
DEV_LINES = 500


def _spread(groups: dict[str, list[dict]], count: int) -> list[dict]:
    """Round-robin over the groups (in name order), ``count`` records in all."""
    picked: list[dict] = []
    queues = {k: list(v) for k, v in sorted(groups.items())}
    while len(picked) < count and any(queues.values()):
        for key in list(queues):
            if queues[key] and len(picked) < count:
                picked.append(queues[key].pop(0))
    return picked


def english(shared: Path, part: str, count: int) -> list[dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for number, line in enumerate((shared / DOLLY).read_text(encoding="utf-8").splitlines(), 1):
        r = json.loads(line)
        in_part = {"bank": number <= BANK_LINES, "dev": BANK_LINES < number <= DEV_LINES, "test": number > DEV_LINES}[part]
        if in_part and not r["context"].strip() and 20 <= len(r["response"]) <= 1200:
            groups[r["category"]].append(
                {"instruction": r["instruction"].strip(), "output": r["response"].strip(), "task": r["category"],
                 "lang": "en", "source": f"dolly line {number}"}
            )
    return _spread(groups, count)


def chinese(shared: Path, part: str, count: int) -> list[dict]:
    if part == "bank":
        return []
    groups: dict[str, list[dict]] = defaultdict(list)
    position: dict[str, int] = defaultdict(int)
    for line in (shared / COIG).read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        k = position[r["subset"]]
        position[r["subset"]] += 1
        if (k % 2 == 0) == (part == "dev") and 20 <= len(r["output"]) <= 1200 and not r.get("input"):
            groups[r["subset"]].append(
                {"instruction": r["instruction"].strip(), "output": r["output"].strip(), "task": r["subset"].split("/")[0],
                 "lang": "zh", "source": f"{r['subset']} #{k}"}
            )
    return _spread(groups, count)


def write_train_sources(shared: Path, out: Path) -> None:
    """The bank and dev parts, every record, in their sources' formats (lines kept as they are)."""
    dolly = (shared / DOLLY).read_text(encoding="utf-8").splitlines()[:DEV_LINES]
    coig, position = [], defaultdict(int)
    for line in (shared / COIG).read_text(encoding="utf-8").splitlines():
        subset = json.loads(line)["subset"]
        if position[subset] % 2 == 0:
            coig.append(line)
        position[subset] += 1
    for name, lines in (("train-dolly.jsonl", dolly), ("train-coig.jsonl", coig)):
        (out / name).write_text("".join(x + "\n" for x in lines), encoding="utf-8")
        print(f"{out / name}: {len(lines)} records")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--per-language", type=int, default=12)
    parser.add_argument("--train", action="store_true", help="also the training sources (bank and dev parts)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.train:
        write_train_sources(args.shared, args.out)
    for part in ("dev", "test"):
        rows = english(args.shared, part, args.per_language) + chinese(args.shared, part, args.per_language)
        target = args.out / f"human-{part}.jsonl"
        target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{target}: {len(rows)} pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
