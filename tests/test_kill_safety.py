"""SIGKILL at random moments while appending: every file parses and holds every returned append once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opening.data.dataset_file import DatasetFile

HELPER = Path(__file__).with_name("kill_appender.py")
TOTAL = 200
KILLS = 20


def _indexes(path: Path, fmt: str) -> list[int]:
    """The pairs' indexes, read as the app reads (an interrupted save undone first from its journal);
    the raw file must parse too, unless a journal is there to restore it."""
    if not path.exists():
        return []
    journal = path.with_name(f".{path.name}.journal")
    try:
        _parse(path.read_bytes(), fmt)
    except ValueError:
        assert journal.exists(), "a torn file without the journal that restores it"
    items = DatasetFile.open(path, fmt).items()
    assert not journal.exists()
    key = {"demo": "instruction", "alpaca": "instruction", "jsonl": "instruction"}.get(fmt)
    values = [item["conversations"][0]["value"] if fmt == "sharegpt" else item[key] for item in items]
    return [int(v.split()[-1]) for v in values]


def _parse(raw: bytes, fmt: str) -> list:
    text = raw.decode("utf-8")  # a UnicodeDecodeError is a ValueError
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    return json.loads(text)


def _returned_count(progress: Path) -> int:
    return len(progress.read_text().split()) if progress.exists() else 0


@pytest.mark.parametrize("fmt", ["demo", "alpaca", "sharegpt", "jsonl"])
def test_sigkill_during_appends_loses_nothing(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / ("pairs.jsonl" if fmt == "jsonl" else "pairs.json")
    progress = tmp_path / "returned.log"
    rng = random.Random(fmt)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    kills = 0
    for attempt in range(200):
        child = subprocess.Popen([sys.executable, str(HELPER), str(path), fmt, str(progress), str(TOTAL)], env=env)
        if kills < KILLS:
            # wait until this child has appended at least once, then kill it at a random moment
            before = _returned_count(progress)
            deadline = time.monotonic() + 60
            while _returned_count(progress) == before and child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.004))  # an append takes about a millisecond now
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                kills += 1
        child.wait(timeout=120)
        got = _indexes(path, fmt)  # must parse after every kill
        assert got == list(range(len(got))), "pairs lost, repeated or out of order"
        returned = {int(x) for x in progress.read_text().split()} if progress.exists() else set()
        assert returned <= set(got), "an append that returned is missing"
        if len(got) == TOTAL:
            break
    assert kills >= KILLS
    assert _indexes(path, fmt) == list(range(TOTAL))


def test_sigkill_during_review_leaves_every_record_whole(tmp_path: Path) -> None:
    """Review changes (in place, or moving the rest of the file) killed at random moments: after each
    kill the dataset parses, holds every record once, in order, with its text untouched."""
    path = tmp_path / "run.jsonl"
    texts = [f"passage {i} " + "小马过河" * (50 + i) for i in range(40)]
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            record = {"key": f"k{i}", "status": "chosen", "pair": {"instruction": f"Say {i}.", "input": "", "output": text}}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    progress = tmp_path / "returned.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    rng = random.Random(7)
    for _ in range(KILLS // 2):
        child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("kill_reviewer.py")), str(path), str(progress)], env=env)
        before = _returned_count(progress)
        deadline = time.monotonic() + 60
        while _returned_count(progress) < before + 3 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.01))
        assert child.poll() is None, "the reviewer stopped by itself"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        records = DatasetFile.open(path, "jsonl").items()  # opening puts back an interrupted change first
        assert [r["key"] for r in records] == [f"k{i}" for i in range(40)]
        assert [r["pair"]["output"] for r in records] == texts
    assert _returned_count(progress) > KILLS
