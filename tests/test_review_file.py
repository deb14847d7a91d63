"""The review core (opening.data.review_file) on a real batch ledger: changes land in the file, undo puts
them back, a file changed elsewhere is never overwritten, broken lines stay as they are."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from opening.base.errors import BadInput
from opening.data.dataset_file import DatasetFile, SaveError
from opening.data.records import PairRecord
from opening.data.review_file import ReviewFile, last_position, remember_position


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def ledger(batch_ledger: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(batch_ledger, tmp_path / "run.jsonl"))


def test_accept_reject_edit_pick_and_undo_land_in_the_file(ledger: Path) -> None:
    original = ledger.read_bytes()
    review = ReviewFile(ledger)
    recs = lines(ledger)
    assert len(review) == len(recs) == 8
    with_pair = [i for i, r in enumerate(recs) if r["pair"]]
    a, b, c = with_pair[:3]
    review.set_status(a, "accepted")
    review.set_status(b, "rejected_by_user")
    review.edit(c, "Tell me where the boat goes.", "")
    now = lines(ledger)
    assert [now[a]["status"], now[b]["status"], now[c]["status"]] == ["accepted", "rejected_by_user", "edited"]
    assert now[c]["pair"]["instruction"] == "Tell me where the boat goes."
    assert now[c]["candidates"] == recs[c]["candidates"] and now[c]["chosen"] == recs[c]["chosen"]  # the pick is kept
    others = [i for i in range(8) if i not in (a, b, c)]
    assert [now[i] for i in others] == [recs[i] for i in others]
    assert review.entry(c).instruction == "Tell me where the boat goes."  # read back from the moved offsets
    assert review.record(7) == now[7]
    # another candidate: the person's pick
    cands = recs[a]["candidates"]
    other = next((k for k, cand in enumerate(cands) if cand["instruction"].strip() and k != recs[a]["chosen"]), None)
    if other is not None:
        review.pick(a, other)
        assert lines(ledger)[a]["pair"]["instruction"] == cands[other]["instruction"]
        assert review.undo() == a
    assert review.undo() == c and review.undo() == b and review.undo() == a
    assert review.undo() is None
    assert ledger.read_bytes() == original  # every change undone, byte for byte


def test_a_file_changed_elsewhere_is_not_overwritten(ledger: Path) -> None:
    review = ReviewFile(ledger)
    time.sleep(0.01)
    with ledger.open("a", encoding="utf-8") as fh:  # another process appends a record
        fh.write(json.dumps({"key": "x", "status": "chosen", "pair": None, "candidates": []}) + "\n")
    changed = ledger.read_bytes()
    assert review.changed_on_disk()
    with pytest.raises(SaveError, match="changed by something else"):
        review.set_status(0, "accepted")
    assert ledger.read_bytes() == changed
    review.reload()
    assert len(review) == 9
    review.set_status(0, "accepted")
    assert lines(ledger)[0]["status"] == "accepted" and len(lines(ledger)) == 9


def test_broken_lines_are_shown_as_broken_and_never_rewritten(ledger: Path) -> None:
    raw = ledger.read_text(encoding="utf-8").splitlines()
    ledger.write_text("\n".join([raw[0], "{broken", *raw[1:]]) + "\n", encoding="utf-8")
    review = ReviewFile(ledger)
    assert len(review) == 9 and review.entry(1).status == "broken" and review.record(1) is None
    with pytest.raises(BadInput, match="line 2 of run.jsonl is broken"):
        review.set_status(1, "accepted")
    review.set_status(2, "accepted")
    assert ledger.read_text(encoding="utf-8").splitlines()[1] == "{broken"
    assert [e.status for e in review.entries()].count("broken") == 1


def test_a_read_only_file_reviews_but_saving_says_why(ledger: Path, mount_tmpfs) -> None:
    disk = mount_tmpfs("disk", "size=1m")
    target = Path(shutil.copy(ledger, disk / "run.jsonl"))
    import subprocess

    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    review = ReviewFile(target)
    assert len(review) == 8 and review.entries()[0].output
    with pytest.raises(SaveError, match="read-only"):
        review.set_status(0, "accepted")


def test_positions_are_remembered_per_file(ledger: Path, tmp_path: Path) -> None:
    assert last_position(ledger) == 0
    remember_position(ledger, 5)
    remember_position(tmp_path / "other.jsonl", 2)
    assert last_position(ledger) == 5 and last_position(tmp_path / "other.jsonl") == 2


def test_a_100k_record_file_opens_fast_and_reads_lazily(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    with big.open("w", encoding="utf-8") as fh:
        for i in range(100_000):
            fh.write(json.dumps({"instruction": f"Say {i}.", "output": "x" * 300, "status": "new", "nll": i % 7}) + "\n")
    t0 = time.perf_counter()
    review = ReviewFile(big)
    opened = time.perf_counter() - t0
    assert len(review) == 100_000 and review.entry(99_999).instruction == "Say 99999."
    print(f"opened 100k records in {opened:.2f} s")
    assert opened < 5.0  # a generous bound (the goal is about a second): fails only on a full parse or worse


def test_views_filter_by_status_source_ifd_and_text_and_sort(ledger: Path) -> None:
    from opening.data.review_file import ViewSpec, select, source_file

    review = ReviewFile(ledger)
    review.set_status(0, "accepted")
    entries = review.entries()
    assert select(entries, ViewSpec()) == list(range(8))
    assert select(entries, ViewSpec(status="accepted")) == [0]
    files = {source_file(e.source) for e in entries}
    assert {Path(f).name for f in files} == {"part1.txt", "part2.jsonl"}
    part1 = next(f for f in files if f.endswith("part1.txt"))
    assert select(entries, ViewSpec(source=part1)) == [e.line for e in entries if e.source.startswith(part1 + ":")]
    assert all(entries[i].ifd >= 1 for i in select(entries, ViewSpec(unhelpful_only=True)))
    assert select(entries, ViewSpec(search="BOAT NUMBER 3")) == [e.line for e in entries if "boat number 3" in e.output]
    by_nll = select(entries, ViewSpec(sort_by="nll"))
    scored = [entries[i].nll for i in by_nll if entries[i].nll is not None]
    assert scored == sorted(scored) and len(by_nll) == 8
    assert [entries[i].nll for i in select(entries, ViewSpec(sort_by="nll", descending=True))][: len(scored)] == sorted(scored, reverse=True)


def test_a_json_array_saved_by_generate_is_reviewed_and_stays_valid_json(tmp_path: Path) -> None:
    saved = tmp_path / "pairs.json"
    dataset = DatasetFile.open(saved)
    for i, text in enumerate(("床前明月光，疑是地上霜。", "The boat crossed the river at dawn.", "A short label.")):
        dataset.append(PairRecord(instruction=f"Instruction {i}", output=text))
    original = saved.read_bytes()
    review = ReviewFile(saved)
    assert len(review) == 3 and review.entry(0).output == "床前明月光，疑是地上霜。" and review.entry(0).instruction == "Instruction 0"
    review.set_status(0, "accepted")
    assert json.loads(saved.read_text(encoding="utf-8"))[0]["status"] == "accepted"
    review.edit(1, "Describe, in one sentence, a river crossing at first light; keep it plain.", "")
    review.set_status(2, "rejected_by_user")
    items = json.loads(saved.read_text(encoding="utf-8"))  # still one valid array, in order
    assert [i.get("status") for i in items] == ["accepted", "edited", "rejected_by_user"]
    assert items[1]["instruction"].startswith("Describe, in one sentence") and items[1]["output"] == "The boat crossed the river at dawn."
    assert review.entry(2).output == "A short label."  # read back from the moved offsets
    assert [review.undo(), review.undo(), review.undo(), review.undo()] == [2, 1, 0, None]
    assert saved.read_bytes() == original
    assert ReviewFile(saved).entries()[1].instruction == "Instruction 1"


def test_a_change_is_written_in_place_and_a_grown_record_keeps_room(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(2000):
            record = {"key": str(i), "status": "chosen", "pair": {"instruction": f"Say {i}.", "input": "", "output": "x" * 200},
                      "candidates": [{"instruction": f"Say {i}.", "nll": 1.5, "ifd": 0.9}], "scores": {"nll": 1.5, "ifd": 0.9}}
            fh.write(json.dumps(record) + "\n")
    before = path.read_bytes()
    first_end = before.index(b"\n")
    review = ReviewFile(path)
    review.set_status(0, "rejected_by_user")
    after = path.read_bytes()
    # same size, and not one byte after the first record moved: the write was in place
    assert len(after) == len(before) and after[first_end:] == before[first_end:]
    assert json.loads(after[:first_end])["status"] == "rejected_by_user"
    grown = "Write a long, careful instruction that asks for exactly two hundred x characters and nothing else."
    review.edit(0, grown, "")
    size = path.stat().st_size
    assert size > len(before) and lines(path)[0]["pair"]["instruction"] == grown
    review.set_status(0, "accepted")  # fits in the room the edit left: nothing moves again
    assert path.stat().st_size == size and lines(path)[0]["status"] == "accepted"
    assert [e.line for e in review.entries() if e.status == "chosen"] == list(range(1, 2000))
    while review.undo() is not None:
        pass
    assert path.read_bytes() == before


def test_crlf_lines_keep_their_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    rows = [json.dumps({"instruction": f"Say {i}.", "output": f"{i}", "status": "new"}) for i in range(3)]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode())
    review = ReviewFile(path)
    review.set_status(1, "accepted")
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == 3 and raw.count(b"\n") == 3
    assert [json.loads(x)["status"] for x in raw.split(b"\r\n") if x] == ["new", "accepted", "new"]
