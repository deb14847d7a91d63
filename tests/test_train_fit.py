"""``opening-train fit`` (issue 17) on the CPU with a tiny random Llama written by the test: the loss is
taken on the target only and the tokens are the app's own; 60 steps lower the target loss; a SIGKILL mid
run then ``--resume`` continues from the last checkpoint with the same losses as a run never killed; LoRA
is merged and the result goes through ``opening-convert`` into the app's engine, whose logits match the
merged torch model; bad bases, data and folders are refused before any training."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_convert import llama_logits
from tiny_checkpoint import QWEN2_THETA, Shape, make_checkpoint, reference_logits
from tiny_training import FAST, SHAPE, completion_logprobs, convert_f32, log_lines, steps_logged, train_cli

from opening.pipeline.templates import OPENING_TEMPLATES, TEXT, build_prompts

F32_BOUND = 5e-3  # the converter's bound for F32 weights and an F32 KV cache (tests/test_convert.py)


@pytest.fixture(scope="module")
def work(train_work: dict[str, Path]) -> dict[str, Path]:
    return train_work


def examples(work: dict[str, Path]) -> list:
    from opening_train.bases import check_base
    from opening_train.fit import encode_examples
    from opening_train.pairs import read_train_pairs
    from opening_train.tokens import Vocabulary

    with Vocabulary(check_base(work["base"]), work["root"] / "vocab-check") as vocab:
        return encode_examples(vocab, read_train_pairs(work["data"]), 512, work["data"])[0]


def test_the_loss_is_on_the_target_only_in_the_apps_own_tokens(work: dict[str, Path]) -> None:
    from opening.llama.model import LlamaModel

    got = examples(work)
    pairs = [json.loads(line) for line in work["data"].read_text(encoding="utf-8").splitlines()]
    assert len(got) == len(pairs) == 60
    assert {p["source"] for p in pairs} == {"sni", "dolly", "firefly"} and any(p["lang"] == "zh" for p in pairs)
    gguf = convert_f32(work["base"], work["root"] / "base.gguf")
    with LlamaModel(gguf) as model:
        for pair, ex in zip(pairs, got, strict=True):
            n_prompt = sum(1 for label in ex.labels if label == -100)
            assert all(label == -100 for label in ex.labels[:n_prompt])  # the prompt: no loss
            assert ex.labels[n_prompt:] == ex.input_ids[n_prompt:] and ex.labels[-1] == model.eos
            # the prompt's tokens are exactly what the app feeds the converted model for this text and template
            template = next(t for t in OPENING_TEMPLATES if t.name == pair["template"])
            before, after = template.raw.split(TEXT)
            text = pair["prompt"][len(before) : len(pair["prompt"]) - len(after)]
            app = next(p for p in build_prompts(model, text, "opening") if p.template == f"opening/{pair['template']}")
            assert ex.input_ids[:n_prompt] == list(app.tokens)
            target = b"".join(model.piece(t) for t in ex.labels[n_prompt:-1]).decode("utf-8")
            assert target == " " + pair["target"]


def test_sixty_steps_lower_the_target_loss_by_at_least_30_percent(work: dict[str, Path]) -> None:
    got = examples(work)
    rows = [(e.input_ids[: e.labels.count(-100)], e.input_ids[e.labels.count(-100) :]) for e in got]
    tokens = sum(len(c) for _, c in rows)
    before = -sum(completion_logprobs(work["base"], rows)) / tokens
    after = -sum(completion_logprobs(work["run"], rows)) / tokens
    print(f"target loss per token: {before:.3f} before, {after:.3f} after 60 steps ({after / before:.0%})")
    assert after <= 0.7 * before
    steps = [line["step"] for line in log_lines(work["run"])]
    assert steps == list(range(1, 61))
    record = json.loads((work["run"] / "opening-train.json").read_text(encoding="utf-8"))
    assert record["finished"] and record["summary"]["steps"] == 60 and record["summary"]["resumed_from"] is None
    assert not (work["run"] / "checkpoints").exists()  # removed once the model is whole
    assert sorted(p.name for p in work["run"].glob("*.safetensors")) == ["model.safetensors"]


def test_sigkill_mid_training_then_resume_continues_from_the_last_checkpoint(work: dict[str, Path], tmp_path: Path) -> None:
    run = tmp_path / "killed"
    args = [
        sys.executable,
        "-m",
        "opening_train",
        "fit",
        "--base",
        str(work["base"]),
        "--data",
        str(work["data"]),
        "--out",
        str(run),
        "--max-steps",
        "60",
        *FAST,
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    marker = run / "checkpoints" / "checkpoint-20" / "opening-complete"
    deadline = time.monotonic() + 300
    # killed a few steps after checkpoint-20, so those steps are lost and must be done again
    while not (marker.exists() and steps_logged(run) >= 23) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = log_lines(run)[-1]["step"]
    assert 23 <= killed_at < 60, killed_at

    again = train_cli(
        "fit", "--base", str(work["base"]), "--data", str(work["data"]), "--out", str(run), "--max-steps", "60", *FAST
    )
    assert again.returncode == 2 and "add --resume" in again.stderr  # never resumed by surprise
    again = train_cli(
        "fit", "--base", str(work["base"]), "--data", str(work["data"]), "--out", str(run), "--max-steps", "60", *FAST, "--resume"
    )
    assert again.returncode == 0, again.stderr

    lines = log_lines(run)
    steps = [line["step"] for line in lines]
    last_saved = max(s for s in (20, 30, 40, 50) if s <= killed_at)
    assert steps == list(range(1, killed_at + 1)) + list(range(last_saved + 1, 61)), steps
    reference = {line["step"]: line["loss"] for line in log_lines(work["run"])}
    resumed = lines[killed_at:]
    worst = max(abs(line["loss"] - reference[line["step"]]) for line in resumed)
    print(f"killed at step {killed_at}, resumed from checkpoint-{last_saved}; worst loss difference {worst:.2e}")
    assert worst < 1e-3  # the same losses as the run never killed: the optimiser, schedule and data order came back
    summary = json.loads((run / "opening-train.json").read_text(encoding="utf-8"))["summary"]
    assert summary["resumed_from"] == f"checkpoint-{last_saved}" and summary["steps"] == 60


def test_lora_merged_converted_and_run_by_the_apps_engine_matches_torch(work: dict[str, Path], tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    import opening

    run = tmp_path / "lora"
    done = train_cli(
        "fit",
        "--base",
        str(work["base"]),
        "--data",
        str(work["data"]),
        "--out",
        str(run),
        "--lora",
        "--max-steps",
        "20",
        "--lr",
        "1e-2",
        "--lora-r",
        "8",
        "--batch-size",
        "4",
        "--grad-accum",
        "1",
    )
    assert done.returncode == 0, done.stderr
    merged = load_file(str(run / "model.safetensors"))
    base = load_file(str(work["base"] / "model.safetensors"))
    assert set(merged) == set(base) and not any(k.startswith("base_model") or "lora" in k for k in merged)
    moved = max(float(np.abs(merged[k] - base[k]).max()) for k in base if "proj" in k)
    assert moved > 1e-3  # the adapters were trained and merged into the weights
    assert all(np.array_equal(merged[k], base[k]) for k in base if "norm" in k or "embed" in k)  # LoRA leaves these

    gguf = convert_f32(run, tmp_path / "lora.gguf")
    with opening.load_engine(gguf) as engine:
        outcome = opening.generate(engine, "The river is lovely in the morning.", n=3, max_tokens=12, seed=3)
    assert len(outcome.candidates) == 3 and all(c.tokens > 0 for c in outcome.candidates)
    assert outcome.candidates[0].template.startswith("opening/")  # no chat template: the generator's raw prompts

    from opening_train.bases import check_base
    from opening_train.tokens import Vocabulary

    with Vocabulary(check_base(run), tmp_path / "v") as vocab:
        tokens = vocab.model.tokenize("Write two sentences about the 小河 for reader 3.", add_special=True, parse_special=False)
    ours = llama_logits(gguf, tokens, f32_cache=True)  # F32 weights, F32 KV cache: the converter's F32 bound
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(run, dtype=torch.float32).eval()
    with torch.no_grad():
        theirs = model(torch.tensor([tokens])).logits[0].double().numpy()
    reference = reference_logits(merged, SHAPE, tokens)  # float64, the HF model's equations written out
    diff, ref_diff = float(np.abs(ours - theirs).max()), float(np.abs(ours - reference).max())
    print(
        f"max |logit difference|: engine vs torch {diff:.2e}, engine vs float64 reference {ref_diff:.2e} (bound {F32_BOUND:.0e})"
    )
    assert theirs.std() > 0.5 and diff <= F32_BOUND and ref_diff <= F32_BOUND


@pytest.mark.parametrize("family", ["baichuan", "qwen2"])
def test_baichuan_and_qwen2_bases_load_without_remote_code_train_and_convert(
    work: dict[str, Path], tmp_path: Path, family: str
) -> None:
    """Baichuan-7B's fused W_pack is split into a Llama's q/k/v (and comes out as a Llama checkpoint);
    Qwen2 keeps its Q/K/V biases and byte-level BPE tokenizer. Each is checked against the float64
    reference of its own equations before training, and after training through the converter."""
    import torch
    from safetensors.numpy import load_file

    from opening_train.bases import check_base
    from opening_train.tokens import Vocabulary
    from opening_train.torch_model import load_base

    shape = Shape(family=family, n_layer=32) if family == "baichuan" else Shape(family="qwen2", n_head_kv=2, n_layer=4)
    theta = QWEN2_THETA if family == "qwen2" else 10000.0
    base_dir = tmp_path / family
    weights = make_checkpoint(base_dir, shape, tokenizer=work["base"] / "tokenizer.model")
    base = check_base(base_dir)
    with Vocabulary(base, tmp_path / "v") as vocab:
        tokens = vocab.encode("Write two sentences about the 小河 for reader 3.", "Done.").prompt
    with torch.no_grad():
        loaded = load_base(base, torch.float32)(torch.tensor([tokens])).logits[0].double().numpy()
    diff = float(np.abs(loaded - reference_logits(weights, shape, tokens, theta=theta)).max())
    assert diff <= 1e-3, diff  # the base as torch holds it is the base the checkpoint describes

    run = tmp_path / "run"
    done = train_cli("fit", "--base", str(base_dir), "--data", str(work["data"]), "--out", str(run), "--max-steps", "3", *FAST)
    assert done.returncode == 0, done.stderr
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == (["Qwen2ForCausalLM"] if family == "qwen2" else ["LlamaForCausalLM"])
    trained = load_file(str(run / "model.safetensors"))
    up = "model.layers.0.mlp.up_proj.weight"
    assert not np.allclose(trained[up], weights[up], atol=1e-5)  # three steps moved the weights
    gguf = convert_f32(run, tmp_path / "run.gguf")
    ours = llama_logits(gguf, tokens, f32_cache=True)  # F32 weights, F32 KV cache: the converter's F32 bound
    out_shape = Shape(
        family="qwen2" if family == "qwen2" else "llama",
        n_embd=shape.n_embd,
        n_ff=shape.n_ff,
        n_head=shape.n_head,
        n_head_kv=shape.n_head_kv,
        n_layer=shape.n_layer,
        n_vocab=shape.n_vocab,
    )
    ref_diff = float(np.abs(ours - reference_logits(trained, out_shape, tokens, theta=theta)).max())
    print(f"{family}: torch load vs float64 reference {diff:.2e}; trained and converted, engine vs reference {ref_diff:.2e}")
    assert ref_diff <= F32_BOUND


def test_bad_bases_data_and_folders_are_refused_before_training(work: dict[str, Path], tmp_path: Path) -> None:
    neox = tmp_path / "neox"
    neox.mkdir()
    (neox / "config.json").write_text(json.dumps({"architectures": ["GPTNeoXForCausalLM"], "hidden_size": 64}), encoding="utf-8")
    t0 = time.monotonic()
    done = train_cli("fit", "--base", str(neox), "--data", str(work["data"]), "--out", str(tmp_path / "q"))
    assert done.returncode == 2 and "cannot be the base" in done.stderr and "GPTNeoXForCausalLM" in done.stderr, done.stderr
    assert "checks it before training starts" in done.stderr and not (tmp_path / "q").exists()
    # Baichuan-13B (40 layers, ALiBi) looks like a Baichuan but llama.cpp cannot run it converted: refused too
    b13 = tmp_path / "baichuan13b"
    make_checkpoint(b13, Shape(n_layer=40, n_embd=64, n_ff=128), tokenizer=work["base"] / "tokenizer.model")
    done = train_cli("fit", "--base", str(b13), "--data", str(work["data"]), "--out", str(tmp_path / "b"))
    assert done.returncode == 2 and "40 layers (13B) uses ALiBi" in done.stderr and not (tmp_path / "b").exists()
    print(f"an unconvertible base refused in {time.monotonic() - t0:.1f} s")

    no_tokenizer = tmp_path / "notok"
    no_tokenizer.mkdir()
    for name in ("config.json", "model.safetensors"):
        (no_tokenizer / name).write_bytes((work["base"] / name).read_bytes())
    done = train_cli("fit", "--base", str(no_tokenizer), "--data", str(work["data"]), "--out", str(tmp_path / "n"))
    assert done.returncode == 2 and "has no tokenizer: neither tokenizer.model" in done.stderr, done.stderr

    dolly = tmp_path / "dolly.jsonl"  # a source file, not a reversed set
    dolly.write_text(json.dumps({"instruction": "a", "context": "", "response": "b"}) + "\n", encoding="utf-8")
    done = train_cli("fit", "--base", str(work["base"]), "--data", str(dolly), "--out", str(tmp_path / "d"))
    assert done.returncode == 2 and "dolly.jsonl, line 1: a training record needs a text field 'prompt'" in done.stderr, (
        done.stderr
    )
    assert not (tmp_path / "d").exists()

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    done = train_cli("fit", "--base", str(work["base"]), "--data", str(work["data"]), "--out", str(busy))
    assert done.returncode == 2 and "is not empty and holds no run" in done.stderr
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]

    done = train_cli("fit", "--base", str(work["base"]), "--data", str(work["data"]), "--out", str(work["run"]), "--resume")
    assert done.returncode == 2 and "holds a finished run, which is never written over" in done.stderr

    done = train_cli("fit", "--base", str(work["base"]), "--data", str(work["data"]), "--out", str(tmp_path / "x"), "--lr", "5")
    assert done.returncode == 2 and "--lr is out of range (got 5.0)" in done.stderr


def test_a_full_disk_stops_with_what_to_do_and_resume_goes_on_once_there_is_space(
    work: dict[str, Path], tmp_path: Path, mount_tmpfs
) -> None:
    small = mount_tmpfs("small", "size=6m")  # the vocabulary fits; a checkpoint (weights and Adam states, ~12 MB) does not
    run = small / "run"
    args = ["fit", "--base", str(work["base"]), "--data", str(work["data"]), "--out", str(run), "--max-steps", "20", *FAST]
    done = train_cli(*args)
    assert done.returncode == 2, done.stderr
    assert "cannot save the run in" in done.stderr and "the disk is full" in done.stderr and "--resume" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 25  # progress lines, then one error
    assert not json.loads((run / "opening-train.json").read_text(encoding="utf-8"))["finished"]
    assert not list(run.glob("checkpoints/*/opening-complete"))  # the cut checkpoint never counts
    subprocess.run(["mount", "-o", "remount,size=64m", str(small)], check=True)  # space freed
    done = train_cli(*args, "--resume")
    assert done.returncode == 0, done.stderr
    assert json.loads((run / "opening-train.json").read_text(encoding="utf-8"))["summary"]["steps"] == 20
    assert (run / "config.json").is_file() and (run / "model.safetensors").is_file()


@pytest.mark.parametrize("family", ["llama", "baichuan", "qwen2"])
def test_the_memory_plan_counts_the_parameters_torch_holds(work: dict[str, Path], tmp_path: Path, family: str) -> None:
    import torch
    from peft import LoraConfig, get_peft_model

    from opening_train.bases import check_base
    from opening_train.memory_plan import lora_parameters, parameters
    from opening_train.recipe import LORA_TARGETS, Recipe
    from opening_train.torch_model import load_base

    shape = {
        "llama": SHAPE,
        "baichuan": Shape(n_layer=32, n_embd=64, n_ff=128),
        "qwen2": Shape(family="qwen2", n_head_kv=2, n_layer=2),
    }[family]
    make_checkpoint(tmp_path / family, shape, tokenizer=work["base"] / "tokenizer.model")
    base = check_base(tmp_path / family)
    model = load_base(base, torch.float32)
    assert parameters(base.config) == sum(p.numel() for p in model.parameters())
    r = Recipe().lora_r
    lora = get_peft_model(model, LoraConfig(r=r, target_modules=list(LORA_TARGETS)))
    assert lora_parameters(base.config, r) == sum(p.numel() for p in lora.parameters() if p.requires_grad)


def test_a_7b_that_cannot_fit_is_refused_before_loading_and_a_small_base_passes(work: dict[str, Path]) -> None:
    """On this machine (24 GiB, no GPU) a Baichuan-7B cannot be trained, full or LoRA: the real free memory
    against the plan says so before anything is loaded."""
    from opening.base.errors import BadInput
    from opening.models.memory_fit import available_memory
    from opening_convert.checkpoint import ModelConfig
    from opening_train.bases import check_base
    from opening_train.memory_plan import check_memory, parameters, plan_memory
    from opening_train.recipe import Recipe

    b7 = ModelConfig("baichuan", 4096, 11008, 32, 32, 32, 64000, 4096, 1e-6, 10000.0, False, False, "baichuan-7b")
    assert abs(parameters(b7) - 7.0e9) < 0.05e9  # Baichuan-7B's published size
    full = plan_memory(b7, Recipe(), longest=512, sequences=4, gpu=True)
    lora = plan_memory(b7, Recipe(lora=True), longest=512, sequences=4, gpu=True)
    print(f"Baichuan-7B: full fine-tuning {full.need_gb:.0f} GB, LoRA on a bf16 GPU {lora.need_gb:.1f} GB")
    assert 112 < full.need_gb < 130 and 14 < lora.need_gb < 24  # the README's figures
    have = available_memory()
    assert have is not None
    said = r"this run needs about .* GB \(7.00 B parameters at this recipe\) and .* GB of RAM are free: use .*--max-length"
    # CI's machine (24 GiB) has room for neither; a machine with more free RAM than a recipe needs runs it
    for recipe in (Recipe(), Recipe(lora=True), Recipe(batch_size=4096, max_length=1 << 20)):
        need = plan_memory(b7, recipe, longest=recipe.max_length, sequences=recipe.batch_size, gpu=False).need
        what = f"lora={recipe.lora}, batch {recipe.batch_size}"
        print(f"Baichuan-7B on this CPU, {what}: {need / 1e9:.0f} GB needed, {have / 1e9:.0f} GB free")
        if need > have:
            with pytest.raises(BadInput, match=said):
                check_memory(b7, recipe)
        else:
            assert check_memory(b7, recipe).need == need
    assert check_memory(check_base(work["base"]).config, Recipe()).need < have


def test_resume_with_other_settings_is_refused(work: dict[str, Path], tmp_path: Path) -> None:
    from opening.base.errors import BadInput
    from opening_train.run_folder import open_run

    identity = {"command": "fit", "data_sha256": "abc", "lr": 2e-5}
    open_run(tmp_path / "r", identity, resume=False)
    with pytest.raises(BadInput, match="add --resume"):
        open_run(tmp_path / "r", identity, resume=False)
    with pytest.raises(BadInput, match=r"lr: 2e-05 then, 0.001 now"):
        open_run(tmp_path / "r", {**identity, "lr": 1e-3}, resume=True)
    run, checkpoint = open_run(tmp_path / "r", identity, resume=True)
    assert checkpoint is None and run.out == tmp_path / "r"
