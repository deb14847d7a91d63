"""Many processes appending to one dataset: every pair there once, the file valid — also while one
process is SIGKILLed again and again."""

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

HELPER = Path(__file__).with_name("concurrent_appender.py")
WORKERS, PAIRS = 8, 50


def _start(path: Path, fmt: str, worker: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, str(HELPER), str(path), fmt, str(worker), str(PAIRS)], env=env)


def _names(path: Path, fmt: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    items = [json.loads(line) for line in text.splitlines() if line.strip()] if fmt == "jsonl" else json.loads(text)
    return [item["instruction"] for item in items]


def _expected() -> list[str]:
    return sorted(f"worker {w} pair {i}" for w in range(WORKERS) for i in range(PAIRS))


@pytest.mark.parametrize("fmt", ["demo", "jsonl"])
def test_eight_processes_append_fifty_pairs_each(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / ("pairs.jsonl" if fmt == "jsonl" else "pairs.json")
    workers = [_start(path, fmt, w) for w in range(WORKERS)]
    assert [w.wait(timeout=300) for w in workers] == [0] * WORKERS
    assert sorted(_names(path, fmt)) == _expected()  # all 400, each once, and the file parses


@pytest.mark.parametrize("fmt", ["demo", "jsonl"])
def test_the_same_while_one_process_is_killed_again_and_again(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / ("pairs.jsonl" if fmt == "jsonl" else "pairs.json")
    rng = random.Random(fmt)
    workers = {w: _start(path, fmt, w) for w in range(WORKERS)}
    victim, kills, deadline = 0, 0, time.monotonic() + 240
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(0.01, 0.15))
        if workers[victim].poll() is None:
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            kills += 1
        if kills >= 15 or all(w.poll() is not None for w in workers.values()):
            break
        workers[victim] = _start(path, fmt, victim)  # it resumes: appends only what is missing
    workers[victim].wait(timeout=120)
    workers[victim] = _start(path, fmt, victim)  # one last run to finish the victim's pairs
    assert all(w.wait(timeout=300) == 0 for w in workers.values())
    assert kills >= 5
    assert sorted(_names(path, fmt)) == _expected()
    assert not any(p.name.endswith(".journal") for p in tmp_path.iterdir())
