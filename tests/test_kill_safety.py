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
