"""What the training tests share: a tiny random Llama written by the test (the converter's own test
checkpoint), small samples of the three sources in their published formats, the reversed set built from
them by ``opening-train data``, the CLI as a user runs it, and the target loss computed independently of
the trainer (a plain forward pass and log-softmax over the target's tokens)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from tiny_checkpoint import EN, ZH, Shape, make_checkpoint

SHAPE = Shape(family="llama", n_embd=128, n_ff=256, n_head=4, n_head_kv=2, n_layer=4)
WORDS = " ".join(EN).replace(".", "").replace(",", "").lower().split()
TOPICS = ["river", "moon", "horse", "mill", "poem", "story", "colour", "bridge", "garden", "train", "cloud", "market"]


def write_sources(folder: Path) -> dict[str, Path]:
    """Sixty pairs whose instruction names a topic its response talks about (something to learn)."""
    folder.mkdir(parents=True, exist_ok=True)
    dolly = [
        {
            "instruction": f"Write two sentences about the {t} for reader {i}.",
            "context": "" if i % 3 else f"The {t} is near the old town.",
            "response": f"The {t} is lovely, reader {i}: " + " ".join(random.Random(i).choices(WORDS, k=10)) + ".",
            "category": "creative_writing",
        }
        for i, t in enumerate(TOPICS * 3)
    ]
    firefly = [
        {"kind": "Summary", "input": f"请用一句话介绍{t}（第{i}篇）。", "target": f"{ZH[i % len(ZH)]}这是关于{t}的第{i}篇短文。"}
        for i, t in enumerate(["小河", "月亮", "小马", "磨坊", "诗歌", "故事", "颜色", "石桥", "花园", "火车", "白云", "集市"])
    ]
    sni_dir = folder / "sni"
    sni_dir.mkdir(exist_ok=True)
    task = {
        "Definition": ["In this task, you're given a sentence and a character.", "Return the emotion the character feels."],
        "Categories": ["Sentiment Analysis"],
        "Instances": [
            {
                "id": f"t-{i}",
                "input": f"Sentence: {n} saw the {t} and smiled. Character: {n}.",
                "output": [f"{n} feels happy about the {t}."],
            }
            for i, (n, t) in enumerate(
                zip(["Mary", "Tom", "Ann", "Li", "Bo", "Kim", "Sam", "Eve", "Max", "Zoe", "Ian", "Amy"], TOPICS, strict=True)
            )
        ],
    }
    (sni_dir / "task001_emotion.json").write_text(json.dumps(task), encoding="utf-8")
    paths = {"sni": sni_dir, "dolly": folder / "dolly.jsonl", "firefly": folder / "firefly.jsonl"}
    paths["dolly"].write_text("".join(json.dumps(r) + "\n" for r in dolly), encoding="utf-8")
    paths["firefly"].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in firefly), encoding="utf-8")
    return paths


FAST = ["--batch-size", "4", "--grad-accum", "2", "--lr", "2e-3", "--save-steps", "10"]
"""A recipe that learns in 60 steps on the CPU (the defaults are the original's: lr 2e-5 over 3 epochs)."""


def build_work(root: Path) -> dict[str, Path]:
    """The base, the reversed set built from the three sources by ``opening-train data``, and a run of 60
    steps never interrupted (the trained generator, and the reference for the resume test)."""
    from tiny_checkpoint import train_tokenizer

    from opening_convert.checkpoint import read_config
    from opening_convert.gguf_export import write_vocab_gguf
    from opening_convert.sentencepiece_model import read_model

    tokenizer = train_tokenizer(root)
    base = make_base(root / "base", tokenizer)
    vocab = write_vocab_gguf(read_config(base), read_model(tokenizer), base, root / "vocab.gguf")
    src = write_sources(root / "sources")
    data = root / "reversed.jsonl"
    done = train_cli(
        "data",
        "--sni",
        str(src["sni"]),
        "--dolly",
        str(src["dolly"]),
        "--firefly",
        str(src["firefly"]),
        "--out",
        str(data),
        "--total",
        "60",
        "--mix",
        "sni=1,dolly=3,firefly=1",
        "--tokenizer",
        str(vocab),
    )
    assert done.returncode == 0, done.stderr
    run = root / "run"
    done = train_cli("fit", "--base", str(base), "--data", str(data), "--out", str(run), "--max-steps", "60", *FAST)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(run)
    return {"root": root, "base": base, "data": data, "run": run, "sources": root / "sources"}


def train_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opening_train", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )


def make_base(folder: Path, tokenizer: Path) -> Path:
    make_checkpoint(folder, SHAPE, tokenizer=tokenizer)
    return folder


def steps_logged(run: Path) -> int:
    """Steps a run has logged so far (0 before its log exists): what a kill test waits for."""
    log = run / "train-log.jsonl"
    return log.read_text(encoding="utf-8").count("\n") if log.exists() else 0


def log_lines(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "train-log.jsonl").read_text(encoding="utf-8").splitlines()]


def completion_logprobs(model_dir: Path, rows: list[tuple[list[int], list[int]]]) -> list[float]:
    """Sum of log p(completion token | everything before it) for each (prompt ids, completion ids)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.eval()
    out = []
    with torch.no_grad():
        for prompt, completion in rows:
            ids = torch.tensor([prompt + completion])
            logp = torch.log_softmax(model(ids).logits[0].double(), dim=-1)
            positions = range(len(prompt) - 1, len(prompt) + len(completion) - 1)
            out.append(sum(float(logp[p, ids[0, p + 1]]) for p in positions))
    return out


def convert_f32(folder: Path, out: Path, out_type: str = "F32") -> Path:
    """``opening-convert FOLDER --out OUT --type F32`` (or ``out_type``) as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "opening_convert.cli", str(folder), "--out", str(out), "--type", out_type],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return out
