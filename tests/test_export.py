"""`opening export`: every format from a real batch ledger (SmolLM2), checked with each format's reader."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opening.base.errors import Cancelled
from opening.data.export import default_target, export
from opening.pipeline.templates import generator_prompt
from test_batch import records


def opening(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opening", *args], capture_output=True, env=dict(os.environ), timeout=300)


@pytest.fixture(scope="module")
def reviewed(batch_ledger: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real batch ledger, then a review's marks: accepted, edited, rejected by the person."""
    out = tmp_path_factory.mktemp("export") / "run.jsonl"
    got = records(batch_ledger)
    with_pair = [r for r in got if r["pair"]]
    assert len(with_pair) >= 4, [r["status"] for r in got]
    with_pair[0]["status"] = "accepted"
    with_pair[1]["status"] = "edited"
    with_pair[1]["pair"]["instruction"] = "Describe where the boat goes."  # the person's own instruction
    with_pair[2]["status"] = "rejected_by_user"
    with_pair[3]["status"] = "accepted"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in got), encoding="utf-8")
    return out


def test_every_format_reads_back_with_its_own_reader(reviewed: Path, tmp_path: Path) -> None:
    got = records(reviewed)
    kept = [r for r in got if r["status"] in ("accepted", "edited")]
    outputs = [r["pair"]["output"] for r in kept]
    for fmt in ("demo", "alpaca", "sharegpt"):
        out = tmp_path / f"{fmt}.json"
        proc = opening("export", str(reviewed), "--to", fmt, "--status", "accepted,edited", "--out", str(out))
        assert proc.returncode == 0, proc.stderr.decode()
        items = json.loads(out.read_text(encoding="utf-8"))
        assert len(items) == len(kept) == 3
        if fmt == "sharegpt":
            assert all([t["from"] for t in i["conversations"]] == ["human", "gpt"] for i in items)
            assert [i["conversations"][1]["value"] for i in items] == outputs
        else:
            assert all(set(i) == ({"instruction", "output"} if fmt == "demo" else {"instruction", "input", "output"}) for i in items)
            assert [i["output"] for i in items] == outputs
    assert "Describe where the boat goes." in (tmp_path / "alpaca.json").read_text(encoding="utf-8")

    out = tmp_path / "pairs.csv"
    assert opening("export", str(reviewed), "--to", "csv", "--status", "accepted", "--out", str(out)).returncode == 0
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["output"] for r in rows] == [r["pair"]["output"] for r in got if r["status"] == "accepted"]
    assert set(rows[0]) == {"instruction", "input", "output", "status", "source", "nll", "ifd"}
    assert all(r["status"] == "accepted" and float(r["nll"]) > 0 for r in rows)

    out = tmp_path / "pairs.jsonl"
    assert opening("export", str(reviewed), "--to", "jsonl", "--out", str(out)).returncode == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # by default: every pair but those the person (or the filter) rejected
    assert len(lines) == sum(1 for r in got if r["pair"] and r["status"] != "rejected_by_user")
    assert all(line["status"] != "rejected_by_user" for line in lines)


def test_llamafactory_folder_works_twice_and_keeps_other_entries(reviewed: Path, tmp_path: Path) -> None:
    folder = tmp_path / "lf"
    folder.mkdir()
    (folder / "dataset_info.json").write_text(json.dumps({"mine": {"file_name": "mine.json"}}), encoding="utf-8")
    for _ in range(2):
        proc = opening("export", str(reviewed), "--to", "llamafactory", "--status", "accepted", "--out", str(folder))
        assert proc.returncode == 0, proc.stderr.decode()
    info = json.loads((folder / "dataset_info.json").read_text(encoding="utf-8"))
    assert set(info) == {"mine", "run"}
    entry = info["run"]
    assert entry["file_name"] == "run.json" and entry["formatting"] == "alpaca"
    assert entry["columns"] == {"prompt": "instruction", "query": "input", "response": "output"}
    data = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert len(data) == 2 and all(set(d) == {"instruction", "input", "output"} for d in data)
    assert sorted(p.name for p in folder.iterdir()) == ["dataset_info.json", "run.json"]  # no temporary left


def test_preference_pairs_prefer_the_persons_edit_and_the_pick_over_rejects(reviewed: Path, tmp_path: Path) -> None:
    out = tmp_path / "dpo.jsonl"
    proc = opening("export", str(reviewed), "--to", "dpo", "--out", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    triplets = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert all(set(t) == {"prompt", "chosen", "rejected"} and t["chosen"] != t["rejected"] for t in triplets)
    got = records(reviewed)
    edited = next(r for r in got if r["status"] == "edited")
    pick = edited["candidates"][edited["chosen"]]["instruction"]
    prompt = generator_prompt(edited["pair"]["output"])
    assert {"prompt": prompt, "chosen": "Describe where the boat goes.", "rejected": pick} in triplets
    expected_rejects = sum(
        1
        for r in got
        if r["pair"] and r["status"] != "rejected_by_user"
        for c in r["candidates"]
        if c["rejected"] and c["instruction"].strip() and c["instruction"] != r["pair"]["instruction"]
    )
    assert len(triplets) == expected_rejects + 1


def test_bad_exports_are_refused_and_broken_lines_counted(reviewed: Path, tmp_path: Path, mount_tmpfs) -> None:
    broken = tmp_path / "broken.jsonl"
    lines = reviewed.read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join([lines[0], "{not json", lines[1], '{"key": "x", "candid'] + lines[2:]) + "\n", encoding="utf-8")
    before = broken.read_bytes()
    out = tmp_path / "a.json"
    report = export(broken, "alpaca", out)
    assert report.broken_lines == [2, 4] and report.rows > 0
    assert broken.read_bytes() == before  # never rewritten
    proc = opening("export", str(broken), "--to", "alpaca", "--out", str(broken))
    assert proc.returncode == 2 and "overwrite the dataset itself" in proc.stderr.decode()
    proc = opening("export", str(broken), "--to", "alpaca", "--status", "kept", "--out", str(out))
    assert proc.returncode == 2 and "unknown status 'kept'" in proc.stderr.decode()
    proc = opening("export", str(tmp_path / "none.jsonl"), "--to", "csv", "--out", str(out))
    assert proc.returncode == 2 and "dataset file not found" in proc.stderr.decode() and "none.jsonl" in proc.stderr.decode()
    readonly = mount_tmpfs("ro", "ro,size=64k")  # read-only even for root (CI runs as root)
    proc = opening("export", str(broken), "--to", "csv", "--out", str(readonly / "x.csv"))
    assert proc.returncode == 2 and "cannot write" in proc.stderr.decode() and "read-only" in proc.stderr.decode()
    assert list(readonly.iterdir()) == []


def test_a_big_export_streams_at_flat_memory(tmp_path: Path) -> None:
    """100k records: peak RSS grows by far less than the file (read a line at a time, written as it goes)."""
    big = tmp_path / "big.jsonl"
    line = {"key": "", "status": "chosen", "source": {"file": "c.txt", "line": 1}, "candidates": [],
            "pair": {"instruction": "Say something about item {i}.", "input": "", "output": "x" * 400}, "scores": {}}
    with big.open("w", encoding="utf-8") as fh:
        for i in range(100_000):
            line["key"] = str(i)
            fh.write(json.dumps(line) + "\n")
    size = big.stat().st_size
    code = (
        "import sys; from pathlib import Path; from opening.data.export import export;"
        "from opening.models.memory_fit import peak_rss, process_rss; base = process_rss();"
        f"r = export(Path({str(big)!r}), 'alpaca', Path({str(tmp_path / 'big.json')!r}));"
        "print(r.rows, peak_rss() - base)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows, growth = map(int, proc.stdout.split())
    print(f"file {size / 1e6:.0f} MB, peak RSS growth {growth / 1e6:.1f} MB")
    assert rows == 100_000
    assert growth < 0.1 * size


def test_a_cancelled_export_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    big = tmp_path / "many.jsonl"
    with big.open("w", encoding="utf-8") as fh:
        for i in range(5000):
            fh.write(json.dumps({"instruction": f"Say {i}.", "output": f"{i}", "status": "accepted"}) + "\n")
    out = tmp_path / "out.json"
    out.write_text("[]\n", encoding="utf-8")
    seen: list[int] = []

    def watch(n: int) -> None:
        seen.append(n)
        if n >= 3000:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        export(big, "alpaca", out, watch=watch)
    assert seen == [1000, 2000, 3000]  # told as it went, every WATCH_EVERY records
    assert out.read_text(encoding="utf-8") == "[]\n" and sorted(p.name for p in tmp_path.iterdir()) == ["many.jsonl", "out.json"]
    assert [default_target(big, f).name for f in ("alpaca", "csv", "jsonl", "llamafactory")] == [
        "many-alpaca.json", "many.csv", "many-pairs.jsonl", "many-llamafactory"]
