"""The output of batch mode on a cluster (issue 16): a folder of JSONL shards read as one dataset, each key
once; a run with other settings refused; ``opening batch --merge`` makes one file. No Ray needed here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_batch import batch

from opening.base.errors import BadInput, ModelError
from opening.data.shard_folder import merge_shards, open_shards, shard_files
from opening.models.model_source import ModelSource

CONFIG = {"model_sha256": "ab", "seed": 7, "n": 2}


def record(key: str, status: str = "chosen") -> dict:
    return {"key": key, "status": status, "config": CONFIG, "pair": {"instruction": key, "input": "", "output": "t"}}


def test_shards_count_every_key_once_and_merge_into_one_dataset(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    first = open_shards(folder, CONFIG)
    for key in ("a", "b", "c"):
        first.write(record(key))
    second = open_shards(folder, CONFIG)  # a run started again: a new shard, the old keys done
    assert second.path != first.path and second.done == {"a", "b", "c"} and second.counts == {"chosen": 3}
    assert second.write(record("b")) is False  # a key already in the output is never written twice
    assert second.write(record("d", "rejected")) is True
    assert len(shard_files(folder)) == 2
    # a duplicate left by hand in a third shard is read once (the first one written wins)
    (folder / "part-99999999-000000-000000-1.jsonl").write_text(json.dumps(record("a", "rejected")) + "\n", encoding="utf-8")
    merged = merge_shards(folder)
    lines = [json.loads(x) for x in merged.path.read_text(encoding="utf-8").splitlines()]
    assert merged.path == tmp_path / "out.jsonl" and merged.records == 4 and merged.shards == 3
    assert [r["key"] for r in lines] == ["a", "b", "c", "d"] and lines[0]["status"] == "chosen"


def test_a_run_with_other_settings_and_a_bad_folder_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    open_shards(folder, CONFIG).write(record("a"))
    with pytest.raises(BadInput, match="other settings") as err:
        open_shards(folder, {**CONFIG, "n": 3})
    assert "n: 2 → 3" in str(err.value)
    restarted = open_shards(folder, {**CONFIG, "n": 3}, restart=True)
    assert restarted.done == set() and list(tmp_path.glob("out.before-*"))
    restarted.write(record("a"))
    with pytest.raises(BadInput, match="names a folder"):
        open_shards(tmp_path / "out.jsonl", CONFIG)
    with pytest.raises(BadInput, match="no shards"):
        merge_shards(tmp_path / "empty")
    with pytest.raises(BadInput, match="inside the shard folder"):
        merge_shards(folder, folder / "all.jsonl")


def test_model_sources_name_the_node_that_cannot_get_the_model(tmp_path: Path, smol_path: Path) -> None:
    assert ModelSource.parse(str(smol_path)).fetch() == smol_path.resolve()
    hub = ModelSource.parse("hf://someone/model-GGUF/q4.gguf", sha256="00" * 32)
    assert (hub.repo_id, hub.filename, hub.path) == ("someone/model-GGUF", "q4.gguf", None)
    with pytest.raises(ModelError, match="not a Hub file"):
        ModelSource.parse("hf://only-owner")
    with pytest.raises(ModelError, match=r"the node .+ cannot get the model: model file not found"):
        ModelSource.parse(str(tmp_path / "missing.gguf")).fetch()


def test_the_merge_command_and_its_refusals(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    open_shards(folder, CONFIG).write(record("a"))
    done = batch("--merge", str(folder), "--out", str(tmp_path / "all.jsonl"))
    assert done.returncode == 0, done.stderr.decode()
    assert "1 records from 1 shards written to" in done.stderr.decode()
    assert [json.loads(x)["key"] for x in (tmp_path / "all.jsonl").read_text().splitlines()] == ["a"]
    nothing = batch("--merge", str(tmp_path / "nowhere"))
    assert nothing.returncode == 2 and "holds no shards" in nothing.stderr.decode()
    no_out = batch(str(tmp_path))
    assert no_out.returncode == 2 and "give --out" in no_out.stderr.decode()
