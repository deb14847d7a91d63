"""``opening-train data`` (issue 17, step one): the reversed training set from small samples of the three
sources, written by the test in their published formats — the prompts are the app's own reverse templates
around the response, the targets the instructions (an SNI definition and instance input joined with
``### Input:`` as in the poster's "happy" example), Chinese kept as characters, duplicates dropped, the mix
sampled to a total, and every bad file named with its line and field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from opening.pipeline.templates import OPENING_TEMPLATES

DEFINITION = [
    "In this task, you're given a context, a sentence, and a character.",
    "Your task is to return one of the emotions which are expressed by the Character in the given sentence.",
]
HAPPY_INPUT = "Context: Mary was a new mother. Sentence: She was very happy and excited to be a mother. Character: Mary."
XIAOMA = "老马让小马把半口袋麦子驮到磨坊去。途中遇到一条小河，小马询问老牛能不能过河。"


def write_sources(folder: Path) -> dict[str, Path]:
    sni = folder / "sni"
    sni.mkdir(parents=True)
    task = {
        "Definition": DEFINITION,
        "Categories": ["Sentiment Analysis"],
        "Positive Examples": [],
        "Negative Examples": [],
        "Instances": [
            {"id": "t1-1", "input": HAPPY_INPUT, "output": ["happy"]},
            {
                "id": "t1-2",
                "input": "Context: Tom lost his keys. Sentence: He searched all day. Character: Tom.",
                "output": ["", "frustrated"],
            },
        ],
    }
    (sni / "task1.json").write_text(json.dumps(task), encoding="utf-8")
    dolly = folder / "dolly.jsonl"
    rows = [
        {
            "instruction": "Summarise the passage.",
            "context": "The river was wide and the boat was small.",
            "response": "A small boat faced a wide river, so the crossing took the whole afternoon.",
            "category": "summarization",
        },
        {
            "instruction": "Name three primary colours.",
            "context": "",
            "response": "Red, yellow and blue are the three primary colours.",
            "category": "open_qa",
        },
        {
            "instruction": "Name three primary colours again.",
            "context": "",
            "response": "Red, yellow and blue are the three primary colours.",
            "category": "open_qa",
        },  # an exact duplicate of the response above
        {
            "instruction": "List the primary colours.",
            "context": "",
            "response": "red, yellow and blue are the three primary colours!",
            "category": "open_qa",
        },  # a near duplicate
        {"instruction": "", "context": "", "response": "An answer with no question.", "category": "open_qa"},  # unusable
    ]
    dolly.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    firefly = folder / "firefly.jsonl"
    fire = [
        {"kind": "Composition", "input": "请以“小马过河”为题，写一段寓言故事的开头。", "target": XIAOMA},
        {"kind": "ClassicalChinese", "input": "把“学而时习之”翻译成现代汉语。", "target": "学习了以后按时去温习它。"},
    ]
    firefly.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in fire), encoding="utf-8")
    return {"sni": sni, "dolly": dolly, "firefly": firefly}


def train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opening_train", *args], capture_output=True, text=True, timeout=300)


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_reversed_set_has_the_expected_prompts_and_targets(tmp_path: Path) -> None:
    src = write_sources(tmp_path / "src")
    out = tmp_path / "reversed.jsonl"
    done = train(
        "data",
        "--sni",
        str(src["sni"]),
        "--dolly",
        str(src["dolly"]),
        "--firefly",
        str(src["firefly"]),
        "--out",
        str(out),
        "--total",
        "30",
        "--seed",
        "3",
    )
    assert done.returncode == 0, done.stderr
    rows = read(out)
    by_target = {r["target"]: r for r in rows}
    happy = by_target[" ".join(DEFINITION) + " ### Input: " + HAPPY_INPUT]  # the poster's join
    template = next(t for t in OPENING_TEMPLATES if t.name == happy["template"])
    assert happy["prompt"] == template.raw.replace("{text}", "happy") and happy["source"] == "sni"
    assert happy["category"] == "Sentiment Analysis" and happy["lang"] == "en"
    frustrated = [
        r
        for r in rows
        if r["prompt"].endswith(("frustrated\n\nWhat kind of instruction could this be the answer to?\n\nX:",))
        or "frustrated" in r["prompt"]
    ]
    assert frustrated  # the first non-empty output of an instance
    summary = by_target["Summarise the passage. ### Input: The river was wide and the boat was small."]  # Dolly's context
    assert "A small boat faced a wide river" in summary["prompt"]
    chinese = by_target["请以“小马过河”为题，写一段寓言故事的开头。"]
    assert XIAOMA in chinese["prompt"] and chinese["lang"] == "zh" and chinese["source"] == "firefly"
    assert XIAOMA in out.read_text(encoding="utf-8")  # characters, not \\u escapes
    # duplicates: the exact copy and the near copy of the colours answer, and the pair with no instruction, are gone
    colours = [r for r in rows if "primary colours" in r["prompt"]]
    assert len(colours) == 1 and "An answer with no question." not in out.read_text(encoding="utf-8")
    stats = json.loads((tmp_path / "reversed.stats.json").read_text(encoding="utf-8"))
    assert stats["examples"] == len(rows) == 6
    assert stats["exact_duplicates"] == 1 and stats["near_duplicates"] == 1 and stats["unusable"] == {"dolly": 1}
    assert stats["by_source"] == {"sni": 2, "dolly": 2, "firefly": 2} and stats["by_language"] == {"en": 4, "zh": 2}
    assert sum(stats["by_template"].values()) == 6 and set(stats["by_template"]) <= {t.name for t in OPENING_TEMPLATES}
    assert sum(stats["prompt_tokens"].values()) == 6 and sum(stats["target_tokens"].values()) == 6
    assert stats["tokenizer"].endswith(".gguf")


def test_the_mix_is_sampled_to_the_total_and_seeded(tmp_path: Path) -> None:
    src = tmp_path / "dolly.jsonl"
    src.write_text(
        "".join(
            json.dumps(
                {
                    "instruction": f"Question {i} about topic {i * 7}?",
                    "context": "",
                    "response": f"Answer number {i}: the topic {i * 7} is explained in {i + 3} words here.",
                    "category": "open_qa",
                }
            )
            + "\n"
            for i in range(40)
        ),
        encoding="utf-8",
    )
    fire = tmp_path / "firefly.jsonl"
    fire.write_text(
        "".join(
            json.dumps(
                {"kind": "QA", "input": f"问题{i}：{i}加{i}等于几？", "target": f"{i}加{i}等于{2 * i}，这是第{i}个回答。"},
                ensure_ascii=False,
            )
            + "\n"
            for i in range(40)
        ),
        encoding="utf-8",
    )
    outs = {}
    for name, seed, mix in (("a", "1", "dolly=3,firefly=1"), ("b", "1", "dolly=3,firefly=1"), ("c", "2", "dolly=3,firefly=1")):
        out = tmp_path / f"{name}.jsonl"
        done = train(
            "data", "--dolly", str(src), "--firefly", str(fire), "--out", str(out), "--total", "20", "--seed", seed, "--mix", mix
        )
        assert done.returncode == 0, done.stderr
        outs[name] = out.read_bytes()
    rows = [json.loads(x) for x in outs["a"].decode().splitlines()]
    assert len(rows) == 20 and sum(r["source"] == "dolly" for r in rows) == 15  # 3:1 of 20
    assert outs["a"] == outs["b"] and outs["a"] != outs["c"]  # the same seed, the same file

    # --held-out: the same seeded mix, its first pairs kept out of training in FILE.heldout.jsonl
    out = tmp_path / "split.jsonl"
    done = train("data", "--dolly", str(src), "--firefly", str(fire), "--out", str(out), "--total", "20", "--seed", "1",
                 "--mix", "dolly=3,firefly=1", "--held-out", "5")
    assert done.returncode == 0 and "5 held out for eval" in done.stderr, done.stderr
    held, kept = read(tmp_path / "split.heldout.jsonl"), read(out)
    assert len(held) == 5 and len(kept) == 15 and held + kept == rows  # nothing lost, nothing in both
    assert json.loads((tmp_path / "split.stats.json").read_text(encoding="utf-8"))["held_out"]["pairs"] == 5
    done = train("data", "--dolly", str(src), "--out", str(tmp_path / "x.jsonl"), "--total", "20", "--held-out", "20")
    assert done.returncode == 2 and "--held-out must leave pairs to train on: at most 19 of the 20 pairs (got 20)" in done.stderr


@pytest.mark.parametrize(
    "kind, content, said",
    [
        (
            "dolly",
            '{"instruction": "a", "context": "", "response": "b"}\n{"instruction": "c", "context": ""}\n',
            r"line 2: a Dolly record needs a text field 'response'",
        ),
        (
            "firefly",
            '{"instruction": "a", "context": "", "response": "b", "category": "x"}\n',
            r"line 1: a Firefly record needs a text field 'input'",
        ),
        ("dolly", '{"instruction": "a", "response": "b"}\nnot json\n', r"line 2: not valid JSON"),
    ],
)
def test_a_source_in_the_wrong_format_names_the_line_and_field(tmp_path: Path, kind: str, content: str, said: str) -> None:
    path = tmp_path / "src.jsonl"
    path.write_text(content, encoding="utf-8")
    done = train("data", f"--{kind}", str(path), "--out", str(tmp_path / "o.jsonl"))
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_bad_sni_files_no_sources_and_an_empty_mix_are_refused(tmp_path: Path) -> None:
    sni = tmp_path / "sni"
    sni.mkdir()
    (sni / "task9.json").write_text(json.dumps({"Definition": "not a list", "Instances": []}), encoding="utf-8")
    done = train("data", "--sni", str(sni), "--out", str(tmp_path / "o.jsonl"))
    assert (
        done.returncode == 2 and "task9.json is not a Super-NaturalInstructions task file: it needs 'Definition'" in done.stderr
    )
    assert "holds no Super-NaturalInstructions task files" in train("data", "--sni", str(tmp_path), "--out", "x.jsonl").stderr
    assert "give at least one source" in train("data", "--out", str(tmp_path / "o.jsonl")).stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"instruction": "", "context": "", "response": "x"}\n', encoding="utf-8")
    done = train("data", "--dolly", str(empty), "--out", str(tmp_path / "o.jsonl"))
    assert done.returncode == 2 and "no usable pair in the sources (dolly: 1 read, 1 unusable)" in done.stderr
    assert "--mix must be" in train("data", "--dolly", str(empty), "--mix", "dolly=x", "--out", "o.jsonl").stderr


def test_sources_by_name_come_from_the_hub_once_then_offline(tmp_path: Path) -> None:
    """``--dolly hub`` / ``--firefly hf://…`` through the app's downloader, against a stand-in Hub on 127.0.0.1."""
    import os

    from fake_hub import FakeHub

    src = write_sources(tmp_path / "src")
    hub = FakeHub()
    hub.add("databricks/databricks-dolly-15k", "databricks-dolly-15k.jsonl", src["dolly"].read_bytes())
    hub.add("someone/firefly-sample", "part-1.jsonl", src["firefly"].read_bytes())
    url = hub.start()
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_TOKEN")}
    env.update(HF_ENDPOINT=url, OPENING_HOME=str(home))

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "opening_train", *args], capture_output=True, text=True, timeout=300,
                              env={**env, **extra})

    try:
        out = tmp_path / "reversed.jsonl"
        done = run("data", "--dolly", "hub", "--firefly", "hf://someone/firefly-sample/part-1.jsonl", "--out", str(out))
        assert done.returncode == 0, done.stderr
        local = home / "datasets" / "databricks" / "databricks-dolly-15k" / "databricks-dolly-15k.jsonl"
        assert local.read_bytes() == src["dolly"].read_bytes()
        assert any("/datasets/databricks/databricks-dolly-15k/resolve/" in r.path for r in hub.requests)
        first = out.read_bytes()
        assert {r["source"] for r in read(out)} == {"dolly", "firefly"}
        served = len(hub.requests)
        out.unlink()
        done = run("data", "--dolly", "hub", "--firefly", "hf://someone/firefly-sample/part-1.jsonl", "--out", str(out),
                   HF_HUB_OFFLINE="1")
        assert done.returncode == 0, done.stderr
        assert out.read_bytes() == first and len(hub.requests) == served  # offline: the copies already downloaded
        done = run("data", "--dolly", "hf://someone/firefly-sample/notes.txt", "--out", str(tmp_path / "x.jsonl"))
        assert done.returncode == 2 and "'notes.txt' is not a JSON Lines or JSON file" in done.stderr, done.stderr
        done = run("data", "--firefly", "hf://only-owner", "--out", str(tmp_path / "x.jsonl"))
        assert done.returncode == 2 and "hf://only-owner is not a Hub file: write hf://OWNER/NAME/FILE.jsonl" in done.stderr
    finally:
        hub.stop()
