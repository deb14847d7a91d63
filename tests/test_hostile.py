"""Every hostile input (``hostile_cases.py``) against the real commands, each in a fresh process.

For every case: the exit code is one the case allows (never a signal, never 70 "internal error"), stderr
has no traceback and — for a failure — exactly one ``PROG: error: …`` line naming the problem, the command
ends within a bounded time, and every file that existed before (in the sandbox: the user's files) is
byte-for-byte unchanged, with nothing left beside them.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hostile_cases
from hostile_cases import Case, all_cases
from tiny_checkpoint import Shape, make_checkpoint

CASES = all_cases()
TIME_LIMIT_S = 90


def test_there_are_at_least_120_cases_over_every_entry_point() -> None:
    assert len(CASES) >= 120
    assert len({c.id for c in CASES}) == len(CASES)
    progs = {c.prog for c in CASES}
    commands = {str(c.argv[0]) for c in CASES if c.prog == "opening"}
    assert progs == {"opening", "opening-convert"} and {"generate", "models"} <= commands


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ckpt") / "llama"
    make_checkpoint(folder, Shape(family="llama", n_embd=64, n_ff=128, n_head=4, n_head_kv=2, n_layer=2))
    hostile_cases.CHECKPOINT[:] = [folder]
    return folder


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: a file's SHA-256, a FIFO's or folder's kind."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            found[os.path.relpath(os.path.join(dirpath, name), root)] = "dir"
        for name in filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path) or not os.path.isfile(path):
                found[rel] = f"special {os.lstat(path).st_mode:o}"
            else:
                with open(path, "rb") as fh:
                    found[rel] = hashlib.sha256(fh.read()).hexdigest()
    return found


def command(case: Case) -> list[str | bytes]:
    if case.prog == "opening-convert":
        return [str(Path(sys.executable).with_name("opening-convert"))]
    return [sys.executable, "-m", "opening"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, tiny_checkpoint: Path, _user_home: Path) -> None:
    sandbox = tmp_path / "user files"
    sandbox.mkdir()
    if case.setup:
        case.setup(sandbox)
    if case.home:
        case.home(_user_home)
    before = snapshot(sandbox)
    argv = [a.replace("{S}", str(sandbox)) if isinstance(a, str) else a for a in case.argv]
    env = {**os.environ, **case.env}
    stdin = subprocess.DEVNULL if case.stdin is None or case.stdin == "closed" else subprocess.PIPE
    started = time.monotonic()
    proc = subprocess.Popen([*command(case), *argv], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, preexec_fn=(lambda: os.close(0)) if case.stdin == "closed" else None)
    try:
        out, err_bytes = proc.communicate(input=case.stdin if isinstance(case.stdin, bytes) else None,
                                          timeout=TIME_LIMIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"hung: still running after {TIME_LIMIT_S} s")
    took = time.monotonic() - started
    err = err_bytes.decode("utf-8", "replace")
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {err}"
    assert proc.returncode in case.codes, (proc.returncode, err)
    assert "Traceback" not in err and "internal error" not in err, err
    if case.error_line:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, err
        assert lines[0].startswith(f"{case.prog}: error: "), err
        assert case.fragment in lines[0], (case.fragment, lines[0])
        assert out == b"", out
    assert snapshot(sandbox) == before, "the user's files changed"
    assert took < TIME_LIMIT_S
