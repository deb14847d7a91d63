"""Review and the one saved pair of a run: pick, edit, update in place, undo (Qt-free)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import HAPPY
from opening.data.dataset_file import DatasetFile, SaveError
from opening.data.records import PairRecord
from opening.data.review import Review, SavedPair


def records() -> list[PairRecord]:
    return [
        PairRecord(instruction="Name a feeling.", output=HAPPY, nll=1.5, ifd=0.8),
        PairRecord(instruction="Classify the emotion", input="She smiled.", output=HAPPY, nll=2.0, ifd=0.9),
        PairRecord(instruction="", output=HAPPY),
    ]


def test_review_json_follows_pick_and_edit() -> None:
    review = Review(records())
    assert review.json_text() == "[]" and review.current() is None
    review.select(1)
    assert json.loads(review.json_text()) == [{"instruction": "Classify the emotion ### Input: She smiled.",
                                               "output": HAPPY}]
    review.set_edit("Classify the emotion", "She smiled.")  # unchanged: scores kept
    assert review.edit is None and review.current().nll == 2.0
    review.set_edit('Say "how" she feels', "")
    current = review.current()
    assert (current.instruction, current.input, current.nll, current.ifd) == ('Say "how" she feels', "", None, None)
    assert json.loads(review.json_text()) == [{"instruction": 'Say "how" she feels', "output": HAPPY}]
    review.select(0)  # another candidate drops the edit
    assert review.current().instruction == "Name a feeling."
    review.select(2)  # a candidate with no instruction: nothing to show until the user writes one
    assert review.json_text() == "[]"
    review.set_edit("Write a word.", "")
    assert json.loads(review.json_text()) == [{"instruction": "Write a word.", "output": HAPPY}]
    with pytest.raises(IndexError):
        review.select(3)


@pytest.mark.parametrize("name", ["pairs.json", "pairs.jsonl"])
def test_saved_pair_updates_in_place_and_undoes(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    dataset = DatasetFile.open(target)
    other = PairRecord(instruction="older pair", output="older text")
    dataset.append(other)
    review = Review(records())
    review.select(0)
    saved = SavedPair.save(dataset, review.current())
    assert dataset.items() == [other.to_format(dataset.fmt), review.current().to_format(dataset.fmt)]

    review.select(1)
    assert saved.update(review.current()) is True
    assert saved.update(review.current()) is False  # nothing to change
    assert dataset.count() == 2
    items = dataset.items()
    assert items[0] == other.to_format(dataset.fmt)
    assert items[1] == review.current().to_format(dataset.fmt)

    saved.undo()
    assert dataset.items() == [other.to_format(dataset.fmt)]


def test_saved_pair_never_touches_a_pair_changed_by_someone_else(tmp_path: Path) -> None:
    target = tmp_path / "pairs.json"
    dataset = DatasetFile.open(target)
    first = records()[0]
    saved = SavedPair.save(dataset, first)
    # another program rewrote the file meanwhile
    target.write_text(json.dumps([{"instruction": "hand-written", "output": "mine"}]), encoding="utf-8")
    before = target.read_bytes()
    with pytest.raises(SaveError, match="changed by something else"):
        saved.update(records()[1])
    with pytest.raises(SaveError, match="changed by something else"):
        saved.undo()
    assert target.read_bytes() == before


def test_an_empty_instruction_is_not_saved(tmp_path: Path) -> None:
    dataset = DatasetFile.open(tmp_path / "pairs.json")
    with pytest.raises(SaveError, match="instruction is empty"):
        SavedPair.save(dataset, records()[2])
    assert not (tmp_path / "pairs.json").exists()
    saved = SavedPair.save(dataset, records()[0])
    with pytest.raises(SaveError, match="instruction is empty"):
        saved.update(records()[2])
    assert dataset.count() == 1
