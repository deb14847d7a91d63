"""Saving pairs: exact formats, never touching a foreign file, clear errors, nothing lost."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from conftest import XIAOMA
from opening.data.dataset_file import DatasetFile, SaveError
from opening.data.records import PairRecord

SEED_HAPPY_INSTRUCTION = (
    "In this task, you're given a context, a sentence, and a character. The sentence describes an action or job "
    "of the given character. Also, the context provides more information about the sentence or the character. "
    "Your task is to return one of the emotions which are expressed by the Character in the given sentence. "
    "For that you can use the Context; however, Context is not provided in all the inputs. Also, in some inputs, "
    "there can be zero emotion; for that return 'None'."
)
XIAOMA_PAIR = PairRecord(instruction="给我讲个小马过河的故事", output=XIAOMA, template="opening/instruction", nll=1.5)
HAPPY_PAIR = PairRecord(instruction=SEED_HAPPY_INSTRUCTION, output="happy")


def test_demo_format_of_the_seed_examples_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "demo.json"
    ds = DatasetFile.open(path)
    assert ds.fmt == "demo"
    first, second = ds.append(HAPPY_PAIR), ds.append(XIAOMA_PAIR)
    assert first.offset < second.offset
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == [
        {"instruction": SEED_HAPPY_INSTRUCTION, "output": "happy"},
        {"instruction": "给我讲个小马过河的故事", "output": XIAOMA},
    ]
    assert "小马过河" in text and "\\u" not in text
    assert DatasetFile.open(path).count() == 2


def test_input_is_folded_into_the_demo_instruction_and_kept_apart_elsewhere(tmp_path: Path) -> None:
    pair = PairRecord(instruction="Return the emotion.", input="Context: Mary was a new mother.", output="happy")
    formats = {"demo.json": None, "alpaca.json": "alpaca", "share.json": "sharegpt", "full.jsonl": None}
    for name, fmt in formats.items():
        DatasetFile.open(tmp_path / name, fmt).append(pair)
    assert json.loads((tmp_path / "demo.json").read_text()) == [
        {"instruction": "Return the emotion. ### Input: Context: Mary was a new mother.", "output": "happy"}
    ]
    assert json.loads((tmp_path / "alpaca.json").read_text()) == [
        {"instruction": "Return the emotion.", "input": "Context: Mary was a new mother.", "output": "happy"}
    ]
    share = json.loads((tmp_path / "share.json").read_text())
    assert share[0]["conversations"][1] == {"from": "gpt", "value": "happy"}
    lines = (tmp_path / "full.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    assert record["input"] == "Context: Mary was a new mother." and len(record["id"]) == 32


def test_existing_file_keeps_its_format_and_conflicts_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    DatasetFile.open(path, "alpaca").append(HAPPY_PAIR)
    assert DatasetFile.open(path).fmt == "alpaca"
    with pytest.raises(SaveError, match="alpaca-format"):
        DatasetFile.open(path, "sharegpt")


@pytest.mark.parametrize("name", ["d.jsonl", "d.json"])
def test_replace_and_remove(tmp_path: Path, name: str) -> None:
    ds = DatasetFile.open(tmp_path / name)
    first = ds.append(HAPPY_PAIR)
    at = ds.append(XIAOMA_PAIR)
    at = ds.replace(at, PairRecord(instruction="生成故事，题目：小马过河", output=XIAOMA))
    assert [item["instruction"] for item in ds.items()] == [SEED_HAPPY_INSTRUCTION, "生成故事，题目：小马过河"]
    ds.remove(first)  # the first item: the next one's comma goes with it
    assert [item["instruction"] for item in ds.items()] == ["生成故事，题目：小马过河"]
    ds.remove(at)
    assert ds.count() == 0 and ds.items() == []
    with pytest.raises(SaveError, match="changed by something else"):
        ds.remove(at)


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{broken", "not valid JSON"),
        ('{"a": 1}', "not a list of pairs"),
        (b"\xff\xfe\x00binary", "not a UTF-8"),
    ],
)
def test_foreign_files_are_never_touched(tmp_path: Path, content, fragment: str) -> None:
    path = tmp_path / "user.json"
    raw = content if isinstance(content, bytes) else content.encode()
    path.write_bytes(raw)
    with pytest.raises(SaveError, match=fragment):
        DatasetFile.open(path).append(HAPPY_PAIR)
    assert path.read_bytes() == raw


def test_bad_jsonl_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"ok": 1}\nnot json\n', encoding="utf-8")
    with pytest.raises(SaveError, match="last line is not valid JSON"):
        DatasetFile.open(path)


def test_missing_folder_and_folder_as_target(tmp_path: Path) -> None:
    with pytest.raises(SaveError, match="does not exist"):
        DatasetFile.open(tmp_path / "missing" / "p.json")
    with pytest.raises(SaveError, match="is a folder"):
        DatasetFile.open(tmp_path)


def test_read_only_folder(mount_tmpfs) -> None:
    folder = mount_tmpfs("ro", "size=1m")
    (folder / "p.json").write_text("[]", encoding="utf-8")
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    ds = DatasetFile.open(folder / "p.json")
    with pytest.raises(SaveError, match="read-only"):
        ds.append(HAPPY_PAIR)
    assert (folder / "p.json").read_text() == "[]"


def test_full_disk_leaves_the_old_file_and_no_temporary(mount_tmpfs) -> None:
    folder = mount_tmpfs("full", "size=64k")
    path = folder / "p.json"
    ds = DatasetFile.open(path)
    big = PairRecord(instruction="x", output="长" * 4000)  # ~12 KB per pair
    saved = 0
    with pytest.raises(SaveError, match="disk is full"):
        for _ in range(50):
            ds.append(big)
            saved += 1
    assert saved >= 1
    assert len(json.loads(path.read_text(encoding="utf-8"))) == saved  # the last good file, intact
    assert sorted(p.name for p in folder.iterdir()) == [".p.json.lock", "p.json"]  # no journal, no temporary


def test_a_symlinked_dataset_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "pairs.json"
    real.parent.mkdir()
    DatasetFile.open(real).append(HAPPY_PAIR)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    DatasetFile.open(link).append(XIAOMA_PAIR)
    assert link.is_symlink() and link.resolve() == real
    assert [item["output"] for item in json.loads(real.read_text(encoding="utf-8"))] == ["happy", XIAOMA]


@pytest.mark.parametrize("name", ["p.json", "p.jsonl"])
def test_an_interrupted_save_is_undone_by_the_next_one(tmp_path: Path, name: str) -> None:
    """A journal left by a killed process (the file already half-changed) is rolled back first."""
    path = tmp_path / name
    ds = DatasetFile.open(path)
    ds.append(HAPPY_PAIR)
    good = path.read_bytes()
    journal = tmp_path / f".{name}.journal"
    size = len(good)
    journal.write_text(json.dumps({"size": size, "offset": size - 3, "tail": base64.b64encode(good[-3:]).decode()}))
    path.write_bytes(good[:-3] + b'{"half-written')  # what a kill in the middle of a splice leaves
    assert DatasetFile.open(path, None).items() == [HAPPY_PAIR.to_format(ds.fmt)]
    assert path.read_bytes() == good and not journal.exists()
    ds.append(XIAOMA_PAIR)
    assert ds.count() == 2


def test_records_with_nan_scores_are_saved_as_strict_json(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    DatasetFile.open(path).append(PairRecord(instruction="x", output="y", nll=float("nan"), ifd=float("inf")))
    record = json.loads(path.read_text(encoding="utf-8"), parse_constant=lambda c: pytest.fail(f"{c} written"))
    assert record["nll"] is None and record["ifd"] is None
