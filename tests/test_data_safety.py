"""The defects of the second hardening round, each as it was found (issue 31), and two concurrent writers
of every kind: batch, merge, export, review, training data, the model list. Each test failed before its
fix; the generated cases of ``test_hostile_data.py`` cover the same classes more widely."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hostile_data_cases import GOOD, lines, record
from test_batch import FAST, make_corpus

from opening.base.errors import BadInput
from opening.data.batch_ledger import Ledger, move_aside
from opening.data.corpus import find_inputs, read_passages
from opening.data.dataset_file import SaveError
from opening.data.export import export
from opening.data.review_file import ReviewFile
from opening.data.shard_folder import merge_shards


def opening(*args: str, prog: str = "opening") -> subprocess.Popen:
    module = "opening" if prog == "opening" else "opening_train"
    return subprocess.Popen([sys.executable, "-m", module, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ))


def finished(proc: subprocess.Popen, timeout: float = 600) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err.decode("utf-8", "replace")


def records_of(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").split("\n") if x.strip()]


# -- batch ---------------------------------------------------------------------------------------------------


def test_two_batch_runs_into_one_output_write_each_passage_once(tmp_path: Path, scripted_path: Path) -> None:
    make_corpus(tmp_path / "corpus", 6)
    out = tmp_path / "run.jsonl"
    args = [str(tmp_path / "corpus"), "--out", str(out), *FAST, "--save-anyway", "--parallel", "1", "--model", str(scripted_path)]
    runs = [opening("batch", *args) for _ in range(2)]
    results = [finished(p) for p in runs]
    assert [code for code, _ in results] == [0, 0], results
    keys = [r["key"] for r in records_of(out)]
    assert len(keys) == 6 and len(set(keys)) == 6  # every passage once, whoever finished it first
    said = [err.rsplit("records in", 1)[0].rsplit(" ", 2)[-2] for _, err in results]
    assert said == ["6", "6"], results  # each run counts what is in the file, the other's records too


def test_two_runs_without_a_seed_never_mix_settings_in_one_file(tmp_path: Path, scripted_path: Path) -> None:
    make_corpus(tmp_path / "corpus", 6)
    out = tmp_path / "run.jsonl"
    args = [str(tmp_path / "corpus"), "--out", str(out), "-n", "2", "--max-tokens", "12", "--parallel", "1",
            "--model", str(scripted_path)]
    results = [finished(p) for p in [opening("batch", *args) for _ in range(2)]]
    got = records_of(out)
    assert len({json.dumps(r["config"], sort_keys=True) for r in got}) == 1  # one run's settings only
    assert len({r["key"] for r in got}) == len(got)
    refused = [err for code, err in results if code != 0]
    assert all("another run with other settings" in err and "--seed" in err for err in refused), results
    again = finished(opening("batch", *args))  # and the file is not refused forever: the run's own seed is read back
    assert again[0] == 0, again
    assert len(records_of(out)) == 6


def test_two_restarts_in_one_second_keep_both_earlier_runs(tmp_path: Path) -> None:
    out = tmp_path / "run.jsonl"
    for text in ("first\n", "second\n", "third\n"):
        out.write_text(text, encoding="utf-8")
        assert move_aside(out) is not None
    aside = sorted(tmp_path.glob("run.before-*.jsonl"))
    assert sorted(p.read_text(encoding="utf-8") for p in aside) == ["first\n", "second\n", "third\n"]
    assert move_aside(out) is None  # already moved by someone else: nothing to do, nothing lost


def test_a_read_only_output_folder_is_refused_before_the_model_loads(tmp_path: Path, mount_tmpfs) -> None:
    make_corpus(tmp_path / "corpus", 2)
    readonly = mount_tmpfs("ro", "ro,size=64k")
    code, err = finished(opening("batch", str(tmp_path / "corpus"), "--out", str(readonly / "o.jsonl"), *FAST))
    assert code == 2 and "read-only" in err and "passages read" not in err, err


def test_ctrl_c_while_the_corpus_is_read_stops_at_once(tmp_path: Path, scripted_path: Path) -> None:
    from opening.base.choice import Choice
    from opening.base.sampling import SamplingParams
    from opening.llama.engine import Engine, EngineSettings
    from opening.pipeline.batch import BatchSpec, LengthPolicy, prepare

    make_corpus(tmp_path / "corpus", 40)
    spec = BatchSpec([str(tmp_path / "corpus")], str(tmp_path / "o.jsonl"), SamplingParams(n=2, seed=1), "chat",
                     Choice(), LengthPolicy(), "text", "text", None, False, 1, True)
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 3

    with Engine(scripted_path, EngineSettings(threads=2)) as engine:
        prepared = prepare(engine, spec, Ledger.open(spec.out, {"seed": 1}), stop=stop)
    assert prepared.stopped and prepared.read == 3 and len(asked) == 4  # polled at every passage


# -- the corpus ----------------------------------------------------------------------------------------------


def test_corpus_lines_names_and_folders(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "real").mkdir(parents=True)
    texts = ["One\u2028record with a line separator.", "Two\u0085with NEL.", "Three \u2029 paragraph separator."]
    (corpus / "real" / "a.jsonl").write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts),
                                             encoding="utf-8")
    os.symlink(corpus / "real", corpus / "linked")  # a symlinked sub-folder is read (its files once)
    odd = os.fsencode(str(corpus / "real")) + b"/caf\xe9.txt"  # a Latin-1 file name
    with open(odd, "wb") as fh:
        fh.write(b"A passage in a file whose name is not UTF-8.\n")
    big = "x" * 200_000
    (corpus / "real" / "t.csv").write_text(f'text\n"{big}"\nafter the long cell\n', encoding="utf-8")
    (tmp_path / "solo").mkdir()
    os.symlink(corpus / "real", tmp_path / "solo" / "only-link")
    files, problems = find_inputs([str(tmp_path / "solo")])
    assert len(files) == 3 and not problems  # a folder reached only through a link is not skipped
    files, problems = find_inputs([str(corpus)])
    assert len(files) == 3 and not problems
    got = {}
    for path in files:
        got[path.name if path.suffix != ".txt" else "odd"] = list(read_passages(path))
    assert [p.text for p in got["a.jsonl"]] == [t.strip() for t in texts]  # three records, none split
    assert [p.text for p in got["t.csv"]] == [big, "after the long cell"]  # rows after a long cell are read
    (odd_passage,) = got["odd"]
    assert "caf\ufffd.txt" in odd_passage.file
    json.dumps(odd_passage.source(), ensure_ascii=False).encode("utf-8")  # a record can hold it
    surrogate = tmp_path / "s.jsonl"
    surrogate.write_text('{"text": "bad \\ud800 text"}\n{"text": "good text"}\n', encoding="utf-8")
    found = list(read_passages(surrogate))
    assert [type(x).__name__ for x in found] == ["Problem", "Passage"] and "line 1" in str(found[0])
    with pytest.raises(BadInput, match="--glob"):
        find_inputs([str(corpus)], "/srv/corpus/*.txt")
    long_name = [str(tmp_path / ("n" * 300))]
    assert "cannot look at it" in str(find_inputs(long_name)[1][0]) or "no such" in str(find_inputs(long_name)[1][0])


# -- export and review ---------------------------------------------------------------------------------------


def test_export_finishes_an_interrupted_review_first(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_bytes(GOOD)
    offset = GOOD.index(b'{"key": "k3"')
    tail = GOOD[offset:]
    journal = tmp_path / ".d.jsonl.journal"
    journal.write_text(json.dumps({"size": len(GOOD), "offset": offset, "tail": base64.b64encode(tail).decode(),
                                   "created": False}), encoding="utf-8")
    with data.open("r+b") as fh:  # the change was torn half-way: its end is garbage
        fh.seek(offset)
        fh.write(b'{"key": "k3", "sta')
        fh.truncate()
    report = export(data, "jsonl", tmp_path / "o.jsonl")
    assert report.rows == 3 and report.broken_lines == []
    assert data.read_bytes() == GOOD and not journal.exists()


def test_review_refuses_a_file_rewritten_at_the_same_size_and_time(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(lines(record(1), record(2)))
    review = ReviewFile(path)
    review.entries()  # the person has seen the records
    stat = path.stat()
    theirs = lines(record(1), record(2, instruction="Describe boat number 9."))  # same size, another record
    assert len(theirs) == stat.st_size
    path.write_bytes(theirs)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # cp -p / rsync -t put the time back
    with pytest.raises(SaveError, match="changed"):
        review.set_status(1, "accepted")
    assert path.read_bytes() == theirs  # their record is still there


def test_review_of_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.jsonl")
    started = time.monotonic()
    with pytest.raises(BadInput):
        ReviewFile(tmp_path / "p.jsonl")
    assert time.monotonic() - started < 5


def test_two_reviews_of_one_file_never_undo_each_other(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(GOOD)
    first, second = ReviewFile(path), ReviewFile(path)
    first.set_status(0, "accepted")
    with pytest.raises(SaveError):
        second.set_status(1, "rejected_by_user")  # read before the first change: refused, not merged blindly
    second.reload()
    second.set_status(1, "rejected_by_user")
    assert [r["status"] for r in records_of(path)][:2] == ["accepted", "rejected_by_user"]


def test_internal_errors_show_their_traceback_with_one_v(capsys: pytest.CaptureFixture[str]) -> None:
    from opening.base.logs import configure_logging
    from opening.cli.command import run_command

    def bug() -> int:
        raise RuntimeError("a bug")

    for verbose, shown in ((0, False), (1, True)):
        configure_logging(verbose, "opening")
        assert run_command("opening", bug) == 70
        err = capsys.readouterr().err
        assert ("Traceback" in err) is shown and "run with -v" in err


# -- two writers at once -------------------------------------------------------------------------------------


def test_two_merges_and_two_exports_at_once(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    for i in range(4):
        (run / f"part-2026010{i}-000000-000000-1.jsonl").write_bytes(lines(*(record(25 * i + j) for j in range(25))))
    errors: list[BaseException] = []

    def both(target: object, *args: object) -> None:
        def work() -> None:
            try:
                target(*args)  # type: ignore[operator]
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)

    both(merge_shards, run, tmp_path / "all.jsonl")
    assert not errors, errors
    keys = [r["key"] for r in records_of(tmp_path / "all.jsonl")]
    assert len(keys) == 100 and len(set(keys)) == 100
    both(export, tmp_path / "all.jsonl", "alpaca", tmp_path / "all-alpaca.json")
    assert not errors, errors
    assert len(json.loads((tmp_path / "all-alpaca.json").read_text(encoding="utf-8"))) == 100  # whole, not interleaved
    assert not list(tmp_path.glob(".*.tmp"))


def test_two_training_sets_and_two_model_registrations_at_once(tmp_path: Path, smol_path: Path, scripted_path: Path) -> None:
    dolly = tmp_path / "d.jsonl"
    dolly.write_text("".join(json.dumps({"instruction": f"Say {i}.", "context": "", "response": f"{i} said.",
                                         "category": "open_qa"}) + "\n" for i in range(20)), encoding="utf-8")
    runs = [opening("data", "--dolly", str(dolly), "--total", "10", "--out", str(tmp_path / "set.jsonl"), prog="train")
            for _ in range(2)]
    assert [finished(p)[0] for p in runs] == [0, 0]
    assert len(records_of(tmp_path / "set.jsonl")) == 10
    home = tmp_path / "home"
    env = {**os.environ, "OPENING_HOME": str(home)}
    procs = [subprocess.Popen([sys.executable, "-m", "opening", "models", "add", str(m)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for m in (smol_path, scripted_path)]
    assert [p.wait(120) for p in procs] == [0, 0]
    listed = json.loads((home / "models.json").read_text(encoding="utf-8"))
    assert {Path(e["path"]) for e in listed} == {smol_path.resolve(), scripted_path.resolve()}  # neither lost
