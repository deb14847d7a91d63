"""Every hostile case of ``hostile_data_cases.py`` against the real commands, run in this process.

For every case: the exit code is one the case allows (never 70, "internal error"), stderr holds no
traceback and — for a failure — exactly one ``PROG: error: …`` line naming the problem; the command ends
within a bounded time (an alarm interrupts a hang, such as an ``open`` of a FIFO); every file that existed
in the sandbox (the user's files) is byte-for-byte unchanged unless the case lets the command write it,
and nothing new is left beside them.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostile_data_cases import DATASETS, DataCase, all_cases

TIME_LIMIT_S = 60
CASES = all_cases("{MODEL}")


def test_there_are_at_least_150_cases_over_every_data_surface() -> None:
    assert len(CASES) >= 150 and len({c.id for c in CASES}) == len(CASES)
    kinds = {c.id.split("-")[0] for c in CASES}
    assert {"export", "target", "lf", "merge", "batch", "train", "settings"} <= kinds


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: a file's SHA-256, a link's target, a FIFO's or folder's kind."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            found[os.path.relpath(path, root)] = f"link {os.readlink(path)}" if os.path.islink(path) else "dir"
        for name in filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                found[rel] = f"link {os.readlink(path)}"
            elif not os.path.isfile(path):
                found[rel] = f"special {os.lstat(path).st_mode:o}"
            else:
                with open(path, "rb") as fh:
                    found[rel] = hashlib.sha256(fh.read()).hexdigest()
    return found


def _allowed(rel: str, writes: tuple[str, ...]) -> bool:
    return any(rel == w.rstrip("/") or (w.endswith("/") and rel.startswith(w)) for w in writes)


class _Hung(Exception):
    pass


def _alarm(_signum: int, _frame: object) -> None:
    raise _Hung


def run_in_process(case: DataCase, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    if case.prog == "opening-train":
        from opening_train.cli import main
    else:
        from opening.cli.main import main
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT_S)
    try:
        code = main(argv)
    except _Hung:
        pytest.fail(f"hung: still running after {TIME_LIMIT_S} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return code, capsys.readouterr().err


@pytest.fixture()
def sandbox(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "user files"
    root.mkdir()
    yield root


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_data_input(case: DataCase, sandbox: Path, smol_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    if case.setup:
        case.setup(sandbox)
    if case.home:
        monkeypatch.setenv("OPENING_HOME", str(sandbox / "home"))
    if case.cwd:
        monkeypatch.chdir(sandbox / case.cwd)
    before = snapshot(sandbox)
    argv = [a.replace("{S}", str(sandbox)).replace("{MODEL}", str(smol_path)) for a in case.argv]
    started = time.monotonic()
    code, err = run_in_process(case, argv, capsys)
    assert time.monotonic() - started < TIME_LIMIT_S
    assert code in case.codes, (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    if code not in (0, 3):  # 3: a run with nothing to do says why in its summary, not as an error
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith(f"{case.prog}: error: "), err
        assert case.fragment in lines[0], (case.fragment, lines[0])
    elif case.fragment:
        assert case.fragment in err, err
    after = snapshot(sandbox)
    changed = sorted(k for k in before if after.get(k) != before[k] and not _allowed(k, case.writes))
    assert not changed, f"the user's files changed: {changed}"
    new = sorted(k for k in after if k not in before and not _allowed(k, case.writes))
    assert not new, f"left beside the user's files: {new}"
    if case.check:
        case.check(sandbox, code, err)


# -- the review: every hostile dataset opened, each record accepted and undone --------------------------------

BOM = b"\xef\xbb\xbf"
REVIEW_FILES = {name + (".json" if data.removeprefix(BOM).startswith(b"[") else ".jsonl"): data
                for name, (data, _) in DATASETS.items()}


@pytest.mark.parametrize("name", [*REVIEW_FILES, "fifo.jsonl", "folder.jsonl", "link-to-nothing.jsonl", "notes.txt"])
def test_hostile_review(name: str, tmp_path: Path) -> None:
    """Open, accept every record, undo every change: a record the review cannot read is refused with a
    message and never rewritten; the others change only where asked; undo gives back the exact bytes."""
    from opening.base.errors import OpeningError
    from opening.data.review_file import ReviewFile

    path = tmp_path / name
    if name.startswith("fifo"):
        os.mkfifo(path)
    elif name.startswith("folder"):
        path.mkdir()
    elif name.startswith("link"):
        os.symlink(tmp_path / "none" / "x.jsonl", path)
    else:
        path.write_bytes(REVIEW_FILES.get(name, b"my notes\n"))
    before = snapshot(tmp_path)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT_S)
    try:
        try:
            review = ReviewFile(path)
        except OpeningError:
            assert snapshot(tmp_path) == before
            return
        original = path.read_bytes()
        changed = 0
        for i in range(len(review)):
            try:
                review.set_status(i, "accepted")
                changed += 1
            except OpeningError:
                continue
            assert review.record(i)["status"] == "accepted"
        for _ in range(changed):
            assert review.undo() is not None
        assert path.read_bytes() == original
    except _Hung:
        pytest.fail(f"hung: still running after {TIME_LIMIT_S} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
