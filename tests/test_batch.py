"""Batch mode (issue 13): corpus readers, the ledger's exactly-once rule, and `opening batch` as a user
runs it — a real process on the real small model, killed with SIGKILL and resumed."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import HAPPY as HAPPY_TEXT
from conftest import SCRIPTS
from conftest import XIAOMA as XIAOMA_TEXT

from opening.base.errors import BadInput
from opening.data.batch_ledger import Ledger, config_differences, passage_key
from opening.data.corpus import Passage, Problem, find_inputs, read_passages
from opening.pipeline.batch import _split_long

ROOT = Path(__file__).resolve().parent.parent


def passages(path: Path, **kw: str) -> tuple[list[Passage], list[Problem]]:
    got = list(read_passages(path, **kw))
    return [p for p in got if isinstance(p, Passage)], [p for p in got if isinstance(p, Problem)]


# -- reading a corpus ------------------------------------------------------------------------------------


def test_text_and_markdown_split_where_a_reader_would(tmp_path: Path) -> None:
    txt = tmp_path / "a.txt"
    txt.write_text("First paragraph,\nstill first.\n\n\nSecond one.\n  \nThird.", encoding="utf-8")
    got, problems = passages(txt)
    assert [p.text for p in got] == ["First paragraph,\nstill first.", "Second one.", "Third."]
    assert [p.line for p in got] == [1, 5, 7] and problems == []
    md = tmp_path / "b.md"
    md.write_text(
        "# Title\nIntro line.\n## Part\nText of part.\n\n```python\ndef f():\n\n    return 1\n```\nAfter code.\n",
        encoding="utf-8",
    )
    got, _ = passages(md)
    assert [p.text for p in got] == [
        "# Title\nIntro line.",
        "## Part\nText of part.",
        "```python\ndef f():\n\n    return 1\n```\nAfter code.",  # the code block stays whole
    ]


def test_structured_files_by_field_and_column(tmp_path: Path) -> None:
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"body": "one"}\n{not json\n\n{"other": 1}\n{"body": "四"}\n', encoding="utf-8")
    got, problems = passages(jsonl, field="body")
    assert [(p.text, p.line) for p in got] == [("one", 1), ("四", 5)]
    assert [str(p) for p in problems] == [
        f"{jsonl}, line 2: not valid JSON (Expecting property name enclosed in double quotes)",
        f'{jsonl}, line 4: no string field "body" (choose it with --field)',
    ]
    arr = tmp_path / "b.json"
    arr.write_text(json.dumps(["plain", {"text": "obj"}, 3]), encoding="utf-8")
    got, problems = passages(arr)
    assert [(p.text, p.item) for p in got] == [("plain", 0), ("obj", 1)] and len(problems) == 1
    csv_file = tmp_path / "c.csv"
    csv_file.write_text('id,passage\n1,"a, quoted\nmultiline"\n2,second\n', encoding="utf-8")
    got, _ = passages(csv_file, column="passage")
    assert [p.text for p in got] == ["a, quoted\nmultiline", "second"]
    _, problems = passages(csv_file)  # the default column "text" is not there
    assert 'no column "text" (the columns are: id, passage' in str(problems[0])
    tsv = tmp_path / "d.tsv"
    tsv.write_text("text\tn\nhello world\t1\n", encoding="utf-8")
    assert [p.text for p in passages(tsv)[0]] == ["hello world"]


def test_bad_files_are_named_with_the_place(tmp_path: Path) -> None:
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"text then \x00\x01\x02")
    assert [str(p) for p in passages(binary)[1]] == [f"{binary}, byte 10: not a text file (it contains NUL bytes)"]
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café au lait".encode("latin-1"))
    assert [str(p) for p in passages(latin)[1]] == [f"{latin}, byte 3: not UTF-8 text"]
    empty = tmp_path / "empty"
    empty.mkdir()
    files, problems = find_inputs([str(empty), str(tmp_path / "missing.txt")])
    assert files == [] and [p.reason for p in problems] == [
        "the folder holds no .txt/.md/.jsonl/.json/.csv/.tsv files",
        "no such file or folder",
    ]


def test_long_passages_split_on_paragraphs_then_sentences() -> None:
    def fits(text: str) -> bool:
        return len(text) <= 40

    text = "Short one.\n\nAnother short.\n\nA much longer paragraph. It has sentences. Each fits alone!"
    pieces = _split_long(text, fits)
    assert pieces == ["Short one.\n\nAnother short.", "A much longer paragraph.", "It has sentences. Each fits alone!"]
    assert all(fits(p) for p in pieces)
    assert _split_long("x" * 100, fits) == []  # nothing fits: nothing returned (the caller counts the skip)


# -- the ledger --------------------------------------------------------------------------------------------


def test_ledger_keys_refusal_and_restart(tmp_path: Path) -> None:
    out = tmp_path / "run.jsonl"
    config = {"model_sha256": "ab", "seed": 1, "n": 5}
    ledger = Ledger.open(out, config)
    key = passage_key("text", config)
    assert key != passage_key("text", {**config, "seed": 2}) and key != passage_key("text ", config)
    assert ledger.write({"key": key, "status": "chosen", "config": config}) is True
    assert ledger.write({"key": key, "status": "chosen", "config": config}) is False  # once per key
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    again = Ledger.open(out, config)
    assert again.done == {key} and again.counts == {"chosen": 1}
    with pytest.raises(BadInput) as refused:
        Ledger.open(out, {**config, "seed": 2})
    assert "seed: 1 → 2" in str(refused.value) and "--restart" in str(refused.value)
    assert config_differences(config, {**config, "n": 3}) == ["n: 5 → 3"]
    fresh = Ledger.open(out, {**config, "seed": 2}, restart=True)
    assert fresh.done == set() and not out.exists()
    aside = list(tmp_path.glob("run.before-*.jsonl"))
    assert len(aside) == 1 and json.loads(aside[0].read_text())["key"] == key  # moved aside, not lost
    with pytest.raises(BadInput):
        Ledger.open(tmp_path / "run.json", config)


# -- `opening batch` -------------------------------------------------------------------------------------------

FAST = ("-n", "2", "--max-tokens", "12", "--seed", "7", "--min-tokens", "2")


def batch(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opening", "batch", *args], capture_output=True, env=dict(os.environ), timeout=timeout
    )


def make_corpus(folder: Path, n: int) -> list[str]:
    folder.mkdir()
    texts = [f"Passage number {i}: the {['red', 'green', 'blue', 'old'][i % 4]} boat number {i} sails home." for i in range(n)]
    (folder / "part1.txt").write_text("\n\n".join(texts[: n // 2]), encoding="utf-8")
    (folder / "part2.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in texts[n // 2 :]), encoding="utf-8")
    return texts


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_batch_writes_one_record_per_passage_and_continues(tmp_path: Path) -> None:
    texts = make_corpus(tmp_path / "corpus", 4)
    (tmp_path / "corpus" / "bad.txt").write_bytes(b"\xff\xfe\x00binary")
    out = tmp_path / "out.jsonl"
    first = batch(str(tmp_path / "corpus"), "--out", str(out), *FAST)
    assert first.returncode == 0, first.stderr.decode()
    err = first.stderr.decode()
    assert "bad.txt, byte 2: not a text file" in err and "4 passages read, 4 to run" in err
    got = records(out)
    assert len(got) == 4 and len({r["key"] for r in got}) == 4
    for r in got:
        assert r["status"] in ("chosen", "rejected", "no_helpful_instruction")
        assert set(r) >= {"key", "source", "status", "pair", "candidates", "model", "params"}
        assert r["source"]["file"].endswith(("part1.txt", "part2.jsonl")) and len(r["model"]["sha256"]) == 64
        assert (r["pair"] is None) == (r["status"] != "chosen")
        assert len(r["candidates"]) == 2
    assert {r["source"]["sha256"] for r in got} == {hashlib.sha256(t.encode()).hexdigest() for t in texts}
    assert all(r["pair"]["output"] in texts for r in got if r["pair"])
    again = batch(str(tmp_path / "corpus"), "--out", str(out), *FAST)
    assert again.returncode == 0 and "already in the output: 4" in again.stderr.decode()
    assert records(out) == got  # nothing written twice, nothing changed


SEALED_REFUSAL = "Sorry, I cannot help with that request because it seems unclear to me!"
"""A refusal longer than the seal check's stride: sealed as soon as it is checked (tokens distinct from SCRIPTS')."""


def test_passages_in_flight_and_early_stops_keep_every_record_accountable(tmp_path: Path, smol_path: Path) -> None:
    """--parallel 3 and the early stop: one record per passage; with K=1, stopping sealed candidates
    early changes no verdict (same statuses, same chosen instructions) and the summary counts the stops.
    The scripted model writes SCRIPTS or a long refusal on any CPU: some candidates are sealed early."""
    from scripted_model import write_scripted_model

    model = write_scripted_model(tmp_path / "sealing.gguf", smol_path, [*SCRIPTS, SEALED_REFUSAL])
    texts = make_corpus(tmp_path / "corpus", 6)
    runs = {}
    for name, extra in {"k3": ("--parallel", "3"), "k1": ("--parallel", "1"), "full": ("--parallel", "1", "--no-early-stop")}.items():
        out = tmp_path / f"{name}.jsonl"
        proc = batch(str(tmp_path / "corpus"), "--out", str(out), *FAST, "-n", "4", "--max-tokens", "48",
                     "--model", str(model), *extra)
        assert proc.returncode == 0, proc.stderr.decode()
        runs[name] = ({r["key"]: r for r in records(out)}, proc.stderr.decode())
    assert "3 passages in flight (as asked)" in runs["k3"][1] and "3 in flight" in runs["k3"][1]
    assert "about " in runs["k3"][1] and "for 6 passages with this model" in runs["k3"][1]
    assert len(runs["k3"][0]) == len(texts) and set(runs["k3"][0]) == set(runs["k1"][0]) == set(runs["full"][0])
    early, full = runs["k1"][0], runs["full"][0]
    for key in early:
        assert early[key]["status"] == full[key]["status"]
        assert early[key]["pair"] == full[key]["pair"]
        assert [c["rejected"] is None for c in early[key]["candidates"]] == [c["rejected"] is None for c in full[key]["candidates"]]
    sealed = sum(c["finish_reason"] == "sealed" for r in early.values() for c in r["candidates"])
    assert not any(c["finish_reason"] == "sealed" for r in full.values() for c in r["candidates"])
    assert 0 < sealed  # the refusals
    assert all(c["rejected"] == "refusal or apology" for r in early.values() for c in r["candidates"]
               if c["finish_reason"] == "sealed")
    assert f"{sealed} candidates stopped early" in runs["k1"][1]
    generated = {name: sum(c["tokens"] for r in recs.values() for c in r["candidates"]) for name, (recs, _) in runs.items()}
    assert generated["k1"] < generated["full"]


def test_a_changed_parameter_is_refused_with_the_difference(tmp_path: Path) -> None:
    make_corpus(tmp_path / "corpus", 2)
    out = tmp_path / "out.jsonl"
    assert batch(str(tmp_path / "corpus"), "--out", str(out), *FAST).returncode == 0
    before = out.read_bytes()
    changed = batch(str(tmp_path / "corpus"), "--out", str(out), *FAST, "--temperature", "0.9")
    assert changed.returncode == 2
    err = changed.stderr.decode()
    assert "temperature: 0.3 → 0.9" in err and "--restart" in err and len(err.strip().splitlines()) == 1
    assert out.read_bytes() == before


def test_bad_batch_inputs_are_clear(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = batch(str(tmp_path / "empty"), "--out", str(tmp_path / "o.jsonl"), *FAST)
    assert proc.returncode == 3 and "holds no .txt" in proc.stderr.decode()
    assert batch(str(tmp_path / "empty"), "--out", str(tmp_path / "o.json")).returncode == 2
    readonly = tmp_path / "ro"
    readonly.mkdir()
    make_corpus(tmp_path / "c", 2)
    os.chmod(readonly, 0o555)
    try:
        proc = batch(str(tmp_path / "c"), "--out", str(readonly / "sub" / "o.jsonl"), *FAST)
        assert proc.returncode != 0 and "o.jsonl" in proc.stderr.decode()
    finally:
        os.chmod(readonly, 0o755)


@pytest.mark.timeout(1500)
def test_sigkill_at_random_moments_then_resume_gives_each_passage_once(tmp_path: Path) -> None:
    """40 passages; the run is killed (SIGKILL) at 6 random moments and started again each time."""
    texts = make_corpus(tmp_path / "corpus", 40)
    out = tmp_path / "out.jsonl"
    args = [sys.executable, "-m", "opening", "batch", str(tmp_path / "corpus"), "--out", str(out), *FAST, "--max-tokens", "8"]
    rng = random.Random(13)
    kills = 0
    while kills < 6:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 5.0))
        if proc.poll() is not None:
            break  # finished before the kill
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
        for line in out.read_bytes().split(b"\n") if out.exists() else []:
            if line.strip():
                json.loads(line)  # never a torn line, after any kill
    final = subprocess.run(args, capture_output=True, timeout=900)
    assert final.returncode == 0, final.stderr.decode()
    got = records(out)
    keys = [r["key"] for r in got]
    assert len(keys) == len(set(keys)) == len(texts), (kills, len(keys), len(set(keys)))
    print(f"{kills} kills; {len(got)} records")
    assert kills >= 4  # the run was really interrupted, not just run once


def test_a_full_disk_stops_the_run_cleanly_and_it_resumes_after_space_is_freed(tmp_path: Path, mount_tmpfs) -> None:
    texts = make_corpus(tmp_path / "corpus", 8)
    disk = mount_tmpfs("disk", "size=64k")
    filler = disk / "filler.bin"
    filler.write_bytes(b"\0" * (64 * 1024 - 12 * 1024))  # about 12 KB left: a few records (2-3 KB each)
    out = disk / "out.jsonl"
    full = batch(str(tmp_path / "corpus"), "--out", str(out), *FAST)
    err = full.stderr.decode()
    assert full.returncode == 1, err
    assert "disk is full" in err.splitlines()[-1]
    written = records(out)  # every line whole
    assert 0 < len(written) < len(texts)
    filler.unlink()
    again = batch(str(tmp_path / "corpus"), "--out", str(out), *FAST)
    assert again.returncode == 0, again.stderr.decode()
    got = records(out)
    assert got[: len(written)] == written and len({r["key"] for r in got}) == len(got) == len(texts)


@pytest.mark.parametrize("n", [1, 4, 5])
def test_the_planned_cells_cover_every_kind_and_language_of_text(engine, n: int) -> None:
    """The batch context is sized by ``job_cells``: no passage's job may need more (the instruct prompts'
    styles and examples differ by kind: a story passage once asked for 1,278 cells of a 1,090-cell plan)."""
    from opening.base.sampling import SamplingParams
    from opening.pipeline.batch_plan import job_cells
    from opening.pipeline.templates import build_prompts

    params = SamplingParams(n=n, max_tokens=48)
    texts = [HAPPY_TEXT, XIAOMA_TEXT, "- eggs\n- milk\n- bread", "def add(a, b):\n    return a + b\n",
             "Passage number 3: the old boat number 3 sails home.", "Once upon a time " + "a fox walked far " * 20 + '"']
    for text in texts:
        tokens = len(engine.model.tokenize(text, add_special=False, parse_special=False))
        job = engine.job(build_prompts(engine.model, text, "chat"), params)
        assert job.cells <= job_cells(engine, params, "chat", tokens), text[:30]
