"""Hostile and careless cases for the data surfaces: export, batch's merge and its checks before the model
loads, ``opening-train data``, the settings files; generated from a few datasets, targets and names.

Each :class:`DataCase` builds its files in a sandbox (the user's folder), runs one command line *in the
test's process* (``opening.cli.main.main`` / ``opening_train.cli.main``: no interpreter start per case,
so 150+ cases take seconds), and says which exit codes are acceptable, which files the command may write
(``writes``: everything else in the sandbox must be byte-for-byte as it was, and nothing new left
beside it) and what else must hold (``check``). ``test_hostile_data.py`` runs them all with the same
assertions: never exit 70, never a traceback, one ``error:`` line on failure, bounded time.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Setup = Callable[[Path], None]
Check = Callable[[Path, int, str], None]
LONG = "n" * 300

CONFIG = {"model_sha256": "ab" * 32, "template": "chat", "n": 2, "seed": 7}


@dataclass
class DataCase:
    id: str
    argv: list[str]
    prog: str = "opening"
    codes: tuple[int, ...] = (2,)
    setup: Setup | None = None
    fragment: str = ""
    """Text the error line must hold (failures) or stderr must hold (successes)."""
    writes: tuple[str, ...] = ()
    """Sandbox paths (relative; a trailing ``/`` is a folder and what is in it) the command may create or change."""
    check: Check | None = None
    cwd: str | None = None
    """Run from this sandbox folder."""
    home: bool = False
    """OPENING_HOME is ``{S}/home`` (the settings cases)."""
    extra: dict[str, str] = field(default_factory=dict)


# -- files -------------------------------------------------------------------------------------------------


def record(i: int, *, status: str = "chosen", instruction: str | None = None, output: str | None = None,
           config: dict | None = None, **changes: object) -> dict:
    """A batch ledger record as `opening batch` writes it (a pick, one rejected candidate)."""
    instruction = instruction if instruction is not None else f"Describe boat number {i}."
    rec: dict = {
        "key": f"k{i}",
        "source": {"file": "corpus.txt", "line": i, "sha256": "0" * 64},
        "status": status,
        "pair": {"instruction": instruction, "input": "", "output": output or f"Boat {i} sails home."},
        "chosen": 0,
        "scores": {"nll": 1.5 + i, "ifd": 0.5},
        "candidates": [
            {"instruction": instruction, "input": "", "rejected": None},
            {"instruction": "Sorry, I cannot help.", "input": "", "rejected": "refusal or apology"},
        ],
        "config": config or CONFIG,
    }
    rec.update(changes)
    return rec


def lines(*records: dict) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def write(name: str, data: bytes | str) -> Setup:
    def setup(s: Path) -> None:
        (s / name).parent.mkdir(parents=True, exist_ok=True)
        (s / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    return setup


def both(*setups: Setup) -> Setup:
    def setup(s: Path) -> None:
        for one in setups:
            one(s)

    return setup


def link(name: str, target: str) -> Setup:
    """A symbolic link ``name`` → ``target`` (relative to the sandbox, or absolute)."""
    return lambda s: os.symlink(target if target.startswith("/") else s / target, s / name)


def hardlink(name: str, target: str) -> Setup:
    return lambda s: os.link(s / target, s / name)


def fifo(name: str) -> Setup:
    return lambda s: os.mkfifo(s / name)


def folder(name: str) -> Setup:
    return lambda s: (s / name).mkdir(parents=True, exist_ok=True)


GOOD = lines(record(1), record(2, status="accepted"), record(3, status="rejected_by_user"), record(4, status="edited"))
"""Four records; three are exported by default (the person rejected one)."""
DATASETS: dict[str, tuple[bytes, int | None]] = {
    # name: (bytes, pairs exported by default; None: refused)
    "ledger": (GOOD, 3),
    "crlf": (GOOD.replace(b"\n", b"\r\n"), 3),
    "bom-jsonl": (b"\xef\xbb\xbf" + GOOD, 3),
    "bom-array": (
        b"\xef\xbb\xbf" + json.dumps([{"instruction": "Say hi.", "input": "", "output": "Hi."},
                                      {"instruction": "Say bye.", "input": "", "output": "Bye."}]).encode(),
        2,
    ),
    "surrogate": (lines(record(1)) + b'{"key": "k2", "status": "chosen", "pair": {"instruction": "\\ud800 bad",'
                  b' "input": "", "output": "x"}, "candidates": []}\n' + lines(record(3)), 2),
    "nan-score": (lines(record(1), record(2, scores={"nll": float("nan"), "ifd": float("inf")}), record(3)), 3),
    "cands-not-list": (lines(record(1, candidates=5), record(2, candidates={"a": 1}), record(3, candidates=None)), 3),
    "line-separators": (lines(record(1, instruction="Split\u2028here\u0085and\u2029there."), record(2)), 2),
    "formula": (lines(record(1, instruction="=HYPERLINK(\"http://x\",\"y\")", output="+1 and more"),
                      record(2, instruction="@SUM(A1)", output="-2"), record(3, instruction="\tTabbed", output="\rCR")), 3),
    "broken-lines": (GOOD.replace(b"\n", b"\n{not json\n", 1) + b'{"key": "x", "cand', 3),
    "empty": (b"", 0),
    "binary": (b"\x00\xff\xfe binary \x00", None),
    "all-broken": (b"{not json\n[1, 2\n", None),
    "truncated-array": (b'[{"instruction": "a", "output": "b"}, {"instr', None),
    "deep": (b"[" * 100_000, None),
    "not-pairs": (b'{"hello": "world"}\n[1, 2, 3]\n"text"\n', 0),
}
FORMATS = ("demo", "alpaca", "sharegpt", "jsonl", "csv", "llamafactory", "dpo")


def exported(out: Path, fmt: str) -> list[dict]:
    """The pairs of an export, read back with each format's own strict reader."""
    def strict(raw: str) -> object:
        def refuse(name: str) -> None:
            raise AssertionError(f"{name} in an export")

        return json.loads(raw, parse_constant=refuse)

    if fmt == "llamafactory":
        info = strict((out / "dataset_info.json").read_text(encoding="utf-8"))
        assert isinstance(info, dict) and info
        name = next(iter(info.values()))["file_name"]
        return strict((out / name).read_text(encoding="utf-8"))  # type: ignore[return-value]
    if fmt in ("jsonl", "dpo"):
        return [strict(x) for x in out.read_text(encoding="utf-8").split("\n") if x]  # type: ignore[misc]
    if fmt == "csv":
        with out.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    got = strict(out.read_text(encoding="utf-8"))
    assert isinstance(got, list)
    return got


def _export_check(name: str, fmt: str, expected: int | None) -> Check:
    def check(s: Path, code: int, err: str) -> None:
        if expected is None:
            return
        out = s / ("out" if fmt == "llamafactory" else f"out.{'csv' if fmt == 'csv' else 'jsonl' if fmt in ('jsonl', 'dpo') else 'json'}")
        assert code == 0, err
        pairs = exported(out, fmt)
        if fmt != "dpo":
            assert len(pairs) == expected, (name, fmt, len(pairs))
        if name == "formula" and fmt == "csv":
            cells = [c for row in pairs for k, c in row.items() if k in ("instruction", "output")]
            assert cells and all(c.startswith("'") for c in cells), cells  # shown by a spreadsheet, never run
        if name == "line-separators" and fmt in ("alpaca", "jsonl"):
            assert any("\u2028" in p["instruction"] and "\u0085" in p["instruction"] for p in pairs)
        if name in ("surrogate", "broken-lines"):
            assert "broken lines skipped" in err

    return check


def export_cases() -> list[DataCase]:
    cases = []
    for name, (data, expected) in DATASETS.items():
        for fmt in FORMATS:
            out = "out" if fmt == "llamafactory" else f"out.{'csv' if fmt == 'csv' else 'jsonl' if fmt in ('jsonl', 'dpo') else 'json'}"
            suffix = ".json" if name in ("bom-array", "truncated-array", "deep") else ".jsonl"
            cases.append(DataCase(
                f"export-{name}-{fmt}", ["export", "{S}/data" + suffix, "--to", fmt, "--out", "{S}/" + out],
                codes=(0,) if expected is not None else (1, 2), setup=write("data" + suffix, data),
                writes=(out + ("/" if fmt == "llamafactory" else ""),), check=_export_check(name, fmt, expected),
            ))
    return cases


def _untouched_hand_made(s: Path, code: int, err: str) -> None:
    assert (s / "pairs.json").read_text(encoding="utf-8") == "my own pairs\n"


def export_target_cases() -> list[DataCase]:
    data = write("d.jsonl", GOOD)
    lf = ["export", "{S}/d.jsonl", "--to", "llamafactory"]

    def info_kept(s: Path, code: int, err: str) -> None:
        info = json.loads((s / "lf" / "dataset_info.json").read_text(encoding="utf-8"))
        assert code == 0 and set(info) == {"mine", "d"}, info

    return [
        DataCase("target-onto-dataset", ["export", "{S}/d.jsonl", "--to", "jsonl", "--out", "{S}/d.jsonl"], setup=data,
                 fragment="overwrite the dataset itself"),
        DataCase("target-symlink-to-dataset", ["export", "{S}/d.jsonl", "--to", "alpaca", "--out", "{S}/l.json"],
                 setup=both(data, link("l.json", "d.jsonl")), fragment="overwrite the dataset itself"),
        DataCase("target-hardlink-to-dataset", ["export", "{S}/d.jsonl", "--to", "csv", "--out", "{S}/h.csv"],
                 setup=both(data, hardlink("h.csv", "d.jsonl")), fragment="overwrite the dataset itself"),
        DataCase("target-dangling-link", ["export", "{S}/d.jsonl", "--to", "alpaca", "--out", "{S}/gone.json"],
                 setup=both(data, link("gone.json", "nowhere/x.json")), fragment="points to nothing"),
        DataCase("target-missing-folder", ["export", "{S}/d.jsonl", "--to", "alpaca", "--out", "{S}/no/x.json"],
                 setup=data),
        DataCase("target-is-folder", ["export", "{S}/d.jsonl", "--to", "alpaca", "--out", "{S}/f"],
                 setup=both(data, folder("f"))),
        DataCase("target-is-fifo", ["export", "{S}/d.jsonl", "--to", "jsonl", "--out", "{S}/p"], setup=both(data, fifo("p"))),
        DataCase("target-long-name", ["export", "{S}/d.jsonl", "--to", "jsonl", "--out", "{S}/" + LONG], setup=data),
        DataCase("dataset-long-name", ["export", "{S}/" + LONG, "--to", "jsonl", "--out", "{S}/o.jsonl"], setup=data),
        DataCase("dataset-is-fifo", ["export", "{S}/p.jsonl", "--to", "jsonl", "--out", "{S}/o.jsonl"], setup=fifo("p.jsonl")),
        DataCase("dataset-is-folder", ["export", "{S}/f", "--to", "jsonl", "--out", "{S}/o.jsonl"], setup=folder("f")),
        DataCase("bad-status", ["export", "{S}/d.jsonl", "--to", "jsonl", "--status", "kept", "--out", "{S}/o.jsonl"],
                 setup=data, fragment="unknown status"),
        *[
            DataCase(f"lf-name-{label}", [*lf, "--out", "{S}/lf", "--name", name], setup=data, fragment="--name")
            for label, name in (("parent", "../victim"), ("absolute", "/tmp/victim"), ("registry", "dataset_info"),
                                ("registry-json", "dataset_info.json"), ("hidden", ".hidden"), ("slash", "a/b"),
                                ("empty", ""), ("dots", ".."), ("backslash", "a\\b"), ("long", LONG))
        ],
        DataCase("lf-hand-made-beside", ["export", "{S}/pairs.jsonl", "--to", "llamafactory", "--out", "."],
                 setup=both(write("pairs.jsonl", GOOD), write("pairs.json", "my own pairs\n")), cwd=".",
                 fragment="not an earlier export", check=_untouched_hand_made),
        DataCase("lf-onto-its-dataset", ["export", "{S}/proj/pairs.json", "--to", "llamafactory", "--out", "{S}/proj"],
                 setup=write("proj/pairs.json", json.dumps([{"instruction": "a", "input": "", "output": "b"}])),
                 fragment="reads"),
        DataCase("lf-keeps-other-entries", [*lf, "--out", "{S}/lf"],
                 setup=both(data, write("lf/dataset_info.json", json.dumps({"mine": {"file_name": "mine.json"}}))),
                 codes=(0,), writes=("lf/",), check=info_kept),
        DataCase("lf-broken-registry", [*lf, "--out", "{S}/lf"],
                 setup=both(data, write("lf/dataset_info.json", "{broken")), fragment="not valid JSON"),
        DataCase("lf-out-is-file", [*lf, "--out", "{S}/d.jsonl"], setup=data),
        DataCase("lf-out-dangling-link", [*lf, "--out", "{S}/lnk/sub"], setup=both(data, link("lnk", "/nonexistent-opening-dir")),
                 fragment="points to nothing"),
    ]


# -- batch: merge, and the checks made before any model loads ----------------------------------------------


def shards(folder_name: str = "run", *records_per_shard: bytes) -> Setup:
    parts = records_per_shard or (lines(record(1), record(2)), lines(record(3)))
    return both(*[write(f"{folder_name}/part-2026010{i}-000000-000000-1.jsonl", data) for i, data in enumerate(parts, 1)])


def _merged(expected_keys: list[str], *, statuses: dict[str, str] | None = None) -> Check:
    def check(s: Path, code: int, err: str) -> None:
        got = [json.loads(x) for x in (s / "run.jsonl").read_text(encoding="utf-8").split("\n") if x.strip()]
        assert code == 0 and [r["key"] for r in got] == expected_keys, (code, err, [r.get("key") for r in got])
        for key, status in (statuses or {}).items():
            assert next(r for r in got if r["key"] == key)["status"] == status

    return check


def merge_cases() -> list[DataCase]:
    other = {**CONFIG, "seed": 8}
    reviewed = lines(record(1, status="accepted"), record(2, status="rejected_by_user"))
    return [
        DataCase("merge-new", ["batch", "--merge", "{S}/run"], setup=shards(), codes=(0,), writes=("run.jsonl",),
                 check=_merged(["k1", "k2", "k3"])),
        DataCase("merge-again-keeps-review", ["batch", "--merge", "{S}/run", "--out", "{S}/run.jsonl"],
                 setup=both(shards(), write("run.jsonl", reviewed)), codes=(0,), writes=("run.jsonl", ".run.jsonl.lock"),
                 check=_merged(["k1", "k2", "k3"], statuses={"k1": "accepted", "k2": "rejected_by_user"})),
        DataCase("merge-over-notes", ["batch", "--merge", "{S}/run", "--out", "{S}/notes.txt"],
                 setup=both(shards(), write("notes.txt", "my notes\n")), fragment="not an earlier merge"),
        DataCase("merge-over-other-jsonl", ["batch", "--merge", "{S}/run", "--out", "{S}/mine.jsonl"],
                 setup=both(shards(), write("mine.jsonl", '{"text": "mine"}\n')), fragment="not an earlier merge"),
        DataCase("merge-out-inside", ["batch", "--merge", "{S}/run", "--out", "{S}/run/all.jsonl"], setup=shards()),
        DataCase("merge-out-is-fifo", ["batch", "--merge", "{S}/run", "--out", "{S}/p.jsonl"], setup=both(shards(), fifo("p.jsonl"))),
        DataCase("merge-out-dangling", ["batch", "--merge", "{S}/run", "--out", "{S}/l.jsonl"],
                 setup=both(shards(), link("l.jsonl", "none/x.jsonl")), fragment="points to nothing"),
        DataCase("merge-dot", ["batch", "--merge", "."], setup=shards(), cwd="run", codes=(0,), writes=("run.jsonl",),
                 check=_merged(["k1", "k2", "k3"])),
        DataCase("merge-with-inputs", ["batch", "corpus.txt", "--merge", "{S}/run"], setup=shards(), fragment="no INPUT"),
        DataCase("merge-mixed-settings", ["batch", "--merge", "{S}/run"],
                 setup=shards("run", lines(record(1)), lines(record(2, config=other))), fragment="other settings"),
        DataCase("merge-keyless", ["batch", "--merge", "{S}/run"],
                 setup=shards("run", lines(record(1)), b'{"status": "chosen"}\n'), fragment="line 1"),
        DataCase("merge-broken-line", ["batch", "--merge", "{S}/run"], setup=shards("run", lines(record(1)) + b"{oops\n"),
                 codes=(1, 2)),
        DataCase("merge-bom-shard", ["batch", "--merge", "{S}/run"], setup=shards("run", b"\xef\xbb\xbf" + lines(record(1))),
                 codes=(1, 2)),
        DataCase("merge-empty-folder", ["batch", "--merge", "{S}/run"], setup=folder("run")),
        DataCase("merge-missing-folder", ["batch", "--merge", "{S}/none"]),
        DataCase("merge-long-out", ["batch", "--merge", "{S}/run", "--out", "{S}/" + LONG + ".jsonl"], setup=shards()),
    ]


def batch_check_cases() -> list[DataCase]:
    """Refused before any model loads (the commands name no model that exists: none is needed)."""
    corpus = write("corpus.txt", "A passage about boats.\n\nAnother one about the sea.\n")
    run = ["batch", "{S}/corpus.txt"]
    return [
        DataCase("batch-glob-absolute", [*run, "--glob", "/srv/corpus/*.txt", "--out", "{S}/o.jsonl"], setup=corpus,
                 fragment="--glob"),
        DataCase("batch-glob-parent", [*run, "--glob", "../*.txt", "--out", "{S}/o.jsonl"], setup=corpus, fragment="--glob"),
        DataCase("batch-glob-empty", [*run, "--glob", " ", "--out", "{S}/o.jsonl"], setup=corpus, fragment="--glob"),
        DataCase("batch-out-long", [*run, "--out", "{S}/" + LONG + ".jsonl"], setup=corpus),
        DataCase("batch-out-fifo", [*run, "--out", "{S}/p.jsonl"], setup=both(corpus, fifo("p.jsonl"))),
        DataCase("batch-out-folder", [*run, "--out", "{S}/f.jsonl"], setup=both(corpus, folder("f.jsonl"))),
        DataCase("batch-out-not-jsonl", [*run, "--out", "{S}/o.json"], setup=corpus),
        DataCase("batch-out-is-input", ["batch", "{S}/c.jsonl", "--out", "{S}/c.jsonl"],
                 setup=write("c.jsonl", ""), fragment="reads"),
        DataCase("batch-out-user-data", [*run, "--out", "{S}/mine.jsonl", "--seed", "7"],
                 setup=both(corpus, write("mine.jsonl", '{"text": "my own"}\n')), fragment="line 1"),
        DataCase("batch-out-other-settings", [*run, "--out", "{S}/o.jsonl", "--seed", "9"],
                 setup=both(corpus, write("o.jsonl", lines(record(1)))), fragment="other settings"),
        DataCase("batch-merge-and-ray-folder", ["batch", "--merge", "{S}/corpus.txt"], setup=corpus),
        DataCase("batch-no-input", ["batch", "--out", "{S}/o.jsonl"], fragment="no input"),
        DataCase("batch-input-long-name", ["batch", "{S}/" + LONG + ".txt", "--out", "{S}/o.jsonl", "--seed", "1"],
                 codes=(3,), fragment="cannot look at it"),  # runs nothing (exit 3), names the input, writes nothing
    ]


# -- opening-train data ------------------------------------------------------------------------------------


def _dolly(n: int = 4, **changes: str) -> bytes:
    rows = [{"instruction": f"Write line {i}.", "context": "", "response": f"Line {i} is here.", "category": "open_qa"}
            for i in range(n)]
    for key, value in changes.items():
        rows[1][key] = value
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def train_cases() -> list[DataCase]:
    dolly = write("d.jsonl", _dolly())
    base = ["data", "--dolly", "{S}/d.jsonl", "--total", "3"]

    def three_pairs(s: Path, code: int, err: str) -> None:
        assert code == 0, err
        got = [json.loads(x) for x in (s / "out.jsonl").read_text(encoding="utf-8").split("\n") if x]
        assert len(got) == 3, got

    return [
        DataCase(f"train-{label}", argv, prog="opening-train", setup=setup, fragment=fragment, codes=codes, writes=writes,
                 check=check)
        for label, argv, setup, fragment, codes, writes, check in (
            ("out-is-source", [*base, "--out", "{S}/d.jsonl"], dolly, "reads", (2,), (), None),
            ("out-is-firefly", ["data", "--firefly", "{S}/f.jsonl", "--total", "3", "--out", "{S}/f.jsonl"],
             write("f.jsonl", '{"kind": "k", "input": "Say a.", "target": "a"}\n' * 4), "reads", (2,), (), None),
            ("stats-is-source", ["data", "--dolly", "{S}/x.stats.json", "--total", "3", "--out", "{S}/x.jsonl"],
             write("x.stats.json", _dolly()), "reads", (2,), (), None),
            ("heldout-is-source", ["data", "--dolly", "{S}/x.heldout.jsonl", "--total", "3", "--held-out", "1",
                                   "--out", "{S}/x.jsonl"], write("x.heldout.jsonl", _dolly()), "reads", (2,), (), None),
            ("out-via-link", [*base, "--out", "{S}/l.jsonl"], both(dolly, link("l.jsonl", "d.jsonl")), "reads", (2,), (), None),
            ("out-dangling", [*base, "--out", "{S}/l.jsonl"], both(dolly, link("l.jsonl", "no/x.jsonl")), "points to nothing",
             (2,), (), None),
            ("not-utf8", [*base, "--out", "{S}/out.jsonl"], write("d.jsonl", _dolly().replace(b"Line 2", b"Line \xff2")),
             "line 3", (2,), (), None),
            ("surrogate", [*base, "--out", "{S}/out.jsonl"], write("d.jsonl", _dolly().replace(b"Line 2", b"Line \\ud8002")),
             "line 3", (2,), (), None),
            ("nul", [*base, "--out", "{S}/out.jsonl"], write("d.jsonl", _dolly().replace(b"Line 2", b"Line \x002")),
             "line 3", (2,), (), None),
            ("bom", [*base, "--out", "{S}/out.jsonl"], write("d.jsonl", b"\xef\xbb\xbf" + _dolly()), "", (0,),
             ("out.jsonl", "out.stats.json"), three_pairs),
            ("line-separator", [*base, "--out", "{S}/out.jsonl"], write("d.jsonl", _dolly(response="One\u2028record\u0085still.")),
             "", (0,), ("out.jsonl", "out.stats.json"), three_pairs),
            ("fifo", [*base, "--out", "{S}/out.jsonl"], fifo("d.jsonl"), "", (2,), (), None),
            ("folder", [*base, "--out", "{S}/out.jsonl"], folder("d.jsonl"), "", (2,), (), None),
            ("truncated", [*base, "--out", "{S}/out.jsonl"], write("d.jsonl", _dolly()[:-20]), "line 4", (2,), (), None),
        )
    ]


# -- the settings files ------------------------------------------------------------------------------------


BROKEN_SETTINGS = {
    "syntax": b'{"threads": 3, "language": "zh",,}',
    "not-object": b'[1, 2, 3]',
    "wrong-type": b'{"threads": "three", "language": "zh", "hf_endpoint": "https://mirror.example"}',
    "nan": b'{"threads": NaN, "language": "zh"}',
    "binary": b"\x00\xff\x00\xfe",
    "truncated": b'{"threads": 3, "lang',
}
BROKEN_REGISTRY = {
    "syntax": b'[{"path": "/models/a.gguf", "source": "added",}]',
    "not-list": b'{"path": "/models/a.gguf"}',
    "bad-entry": b'[{"path": 5, "source": "added"}, {"path": "/models/b.gguf", "source": "added", "added": ""}]',
    "nan": b'[{"path": NaN}]',
    "binary": b"\xff\xfe\x00",
    "truncated": b'[{"path": "/models/a.gguf", "sou',
}


def _kept_aside(name: str, data: bytes) -> Check:
    def check(s: Path, code: int, err: str) -> None:
        assert code == 0, err
        copies = sorted((s / "home").glob(f"{name}.broken-*"))
        assert len(copies) == 1 and copies[0].read_bytes() == data, copies  # the person's bytes, kept
        assert str(copies[0].name) in err
        json.loads((s / "home" / name).read_text(encoding="utf-8"))  # a good file in its place

    return check


def settings_cases(model: str) -> list[DataCase]:
    """``opening models add MODEL --default`` saves both files; a broken one is kept aside first."""
    cases = []
    for files, name in ((BROKEN_SETTINGS, "config.json"), (BROKEN_REGISTRY, "models.json")):
        for label, data in files.items():
            cases.append(DataCase(
                f"settings-{name.split('.')[0]}-{label}", ["models", "add", model, "--default"], codes=(0,), home=True,
                setup=write(f"home/{name}", data), writes=("home/",), check=_kept_aside(name, data),
            ))
    cases.append(DataCase(
        "settings-config-bom", ["models", "add", model, "--default"], codes=(0,), home=True,
        setup=write("home/config.json", b'\xef\xbb\xbf{"threads": 3}'), writes=("home/",),
        check=lambda s, code, err: (json.loads((s / "home" / "config.json").read_text())["threads"] == 3
                                    and not list((s / "home").glob("*.broken-*"))) or _fail("BOM settings lost"),
    ))
    return cases


def _fail(why: str) -> None:
    raise AssertionError(why)


def all_cases(model: str) -> list[DataCase]:
    return [*export_cases(), *export_target_cases(), *merge_cases(), *batch_check_cases(), *train_cases(), *settings_cases(model)]
