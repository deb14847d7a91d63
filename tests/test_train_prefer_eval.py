"""``opening-train prefer`` (DPO on the preference pairs the review step really exports) and
``opening-train eval`` (the converted generator through the app's own engine), on the CPU with the tiny
Llama of tests/tiny_training.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_export import reviewed  # noqa: F401  (the fixture: a real batch ledger with a person's marks)
from tiny_training import completion_logprobs, convert_f32, log_lines, train_cli

from opening.data.export import export
from opening.pipeline.templates import generator_prompt


def margins(model_dir: Path, base: Path, pairs: list[dict], workdir: Path) -> list[float]:
    """log p(chosen) − log p(rejected) under the model, per pair (the tokens as the trainer makes them)."""
    from opening_train.bases import check_base
    from opening_train.tokens import Vocabulary

    with Vocabulary(check_base(base), workdir) as vocab:
        chosen = [vocab.encode(p["prompt"], p["chosen"]) for p in pairs]
        rejected = [vocab.encode(p["prompt"], p["rejected"]) for p in pairs]
    good = completion_logprobs(model_dir, [(e.prompt, e.completion) for e in chosen])
    bad = completion_logprobs(model_dir, [(e.prompt, e.completion) for e in rejected])
    return [g - b for g, b in zip(good, bad, strict=True)]


def test_dpo_on_the_reviews_export_moves_the_margin_toward_the_chosen(
    train_work: dict[str, Path],
    reviewed: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    pairs_file = tmp_path / "dpo.jsonl"
    report = export(reviewed, "dpo", pairs_file, prompt_for=generator_prompt)
    pairs = [json.loads(line) for line in pairs_file.read_text(encoding="utf-8").splitlines()]
    assert report.rows == len(pairs) >= 3 and all(p["prompt"].endswith("\n\nX:") for p in pairs)
    base = train_work["run"]  # the generator fit made; DPO goes on from it, as a user would
    before = margins(base, base, pairs, tmp_path / "v1")

    out = tmp_path / "preferred"
    done = train_cli(
        "prefer",
        "--base",
        str(base),
        "--pairs",
        str(pairs_file),
        "--out",
        str(out),
        "--max-steps",
        "20",
        "--lr",
        "1e-4",
        "--batch-size",
        "4",
        "--grad-accum",
        "1",
        "--save-steps",
        "10",
    )
    assert done.returncode == 0, done.stderr
    after = margins(out, base, pairs, tmp_path / "v2")
    mean_before, mean_after = sum(before) / len(before), sum(after) / len(after)
    improved = sum(a > b for a, b in zip(after, before, strict=True)) / len(pairs)
    print(
        f"{len(pairs)} preference pairs: mean log-prob margin {mean_before:.2f} -> {mean_after:.2f};"
        f" {improved:.0%} of pairs moved up"
    )
    assert mean_after > mean_before + 1.0 and improved >= 0.8
    summary = json.loads((out / "opening-train.json").read_text(encoding="utf-8"))["summary"]
    assert summary["steps"] == 20 and summary["margin_last_step"] > summary["margin_first_step"]
    assert [line["step"] for line in log_lines(out)] == list(range(1, 21))
    assert "rewards/margins" in log_lines(out)[-1]

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "p", "chosen": "c"}) + "\n", encoding="utf-8")
    done = train_cli("prefer", "--base", str(base), "--pairs", str(bad), "--out", str(tmp_path / "b"))
    assert done.returncode == 2 and "bad.jsonl, line 1: a preference record needs a text field 'rejected'" in done.stderr


def test_eval_runs_the_converted_generator_through_the_apps_engine(train_work: dict[str, Path], tmp_path: Path) -> None:
    from opening_train.evaluate import held_out

    held = held_out(train_work["data"], None)
    responses = set()
    for line in (train_work["sources"] / "dolly.jsonl").read_text(encoding="utf-8").splitlines():
        responses.add(json.loads(line)["response"])
    for line in (train_work["sources"] / "firefly.jsonl").read_text(encoding="utf-8").splitlines():
        responses.add(json.loads(line)["target"])
    responses |= {
        i["output"][0] for i in json.loads(next((train_work["sources"] / "sni").glob("*.json")).read_text())["Instances"]
    }
    assert len(held) == 60 and all(p.output in responses for p in held)  # each text taken back out of its prompt whole

    trained, untrained = (
        convert_f32(train_work["run"], tmp_path / "gen.gguf"),
        convert_f32(train_work["base"], tmp_path / "base.gguf"),
    )
    figures = {}
    for name, model in (("trained", trained), ("untrained", untrained)):
        done = train_cli(
            "eval",
            "--model",
            str(model),
            "--data",
            str(train_work["data"]),
            "--limit",
            "6",
            "-n",
            "3",
            "--max-tokens",
            "24",
            "--temperature",
            "0.3",
            "--format",
            "json",
        )
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["texts"] == 6 and report["template"] == "auto"
        figures[name] = {v["variant"]: v for v in report["variants"]}
    text = train_cli(
        "eval", "--model", str(trained), "--data", str(train_work["data"]), "--limit", "2", "-n", "2", "--max-tokens", "24"
    )
    assert text.returncode == 0, text.stderr
    assert "ROUGE-L of the chosen instruction vs the original:" in text.stdout and "beats the mean candidate on" in text.stdout
    mean = lambda name: max(v["rouge_mean"] for v in figures[name].values())  # noqa: E731
    print(f"ROUGE-L of the mean candidate on 6 training pairs: trained {mean('trained'):.3f}, untrained {mean('untrained'):.3f}")
    assert mean("trained") > mean("untrained") + 0.2  # the figure sees what 60 steps taught


def test_eval_refuses_a_file_that_is_not_a_reversed_set(tmp_path: Path) -> None:
    data = tmp_path / "pairs.jsonl"
    data.write_text(json.dumps({"prompt": "Tell me a joke.", "target": "Why did…"}) + "\n", encoding="utf-8")
    done = train_cli("eval", "--data", str(data))
    assert done.returncode == 2 and "pairs.jsonl:1: the prompt is not one of the reverse templates" in done.stderr, done.stderr


@pytest.mark.parametrize("args", [["fit", "--data", "x.jsonl"], ["prefer", "--pairs", "x.jsonl"]])
def test_fit_and_prefer_need_a_base_and_an_out(args: list[str]) -> None:
    done = train_cli(*args)
    assert done.returncode == 2 and "the following arguments are required: --base, --out" in done.stderr
