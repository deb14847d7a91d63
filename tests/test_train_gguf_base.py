"""``opening-train fit --base MODEL.gguf`` (issue 30): a GGUF the user already has as the base, on a tiny
random Qwen2 the test writes and quantizes to Q8_0 (so the base really is dequantized). The run unpacks it
once, trains with the laptop preset, says its estimate after the first step, and writes a GGUF generator
that carries the base's tokenizer and chat template and is marked for the raw ``opening`` templates it was
trained on, so ``opening generate`` samples it with them; the window lists it under Models ▸ Use a
generator I trained with its evaluation. A SIGKILL loses only the steps since the last checkpoint; a base
that cannot be one is refused in seconds, before anything is written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gguf import GGUFReader
from tiny_checkpoint import Shape, make_checkpoint
from tiny_training import convert_f32, log_lines, steps_logged, train_cli, write_sources

from opening.models.gguf_file import inspect_gguf

CHAT = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"


@pytest.fixture(scope="module")
def gguf_work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gguf-base")
    hf = root / "hf"
    make_checkpoint(hf, Shape(family="qwen2", n_head_kv=2, n_layer=2))
    (hf / "tokenizer_config.json").write_text(json.dumps({"chat_template": CHAT}), encoding="utf-8")
    base = convert_f32(hf, root / "tiny-qwen2.Q8_0.gguf", "Q8_0")
    sources = write_sources(root / "sources")
    data = root / "reversed.jsonl"
    made = train_cli("data", "--dolly", str(sources["dolly"]), "--total", "30", "--out", str(data), "--tokenizer", str(base))
    assert made.returncode == 0, made.stderr
    return {"root": root, "base": base, "data": data}


def tokenizer_fields(path: Path) -> dict[str, object]:
    reader = GGUFReader(str(path))
    out: dict[str, object] = {}
    for key in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type", "tokenizer.ggml.eos_token_id"):
        field = reader.fields[key]
        out[key] = [field.contents(i) for i in range(len(field.data))] if len(field.data) > 1 else field.contents()
    return out


def test_a_gguf_base_trains_with_the_laptop_preset_and_becomes_a_generator_the_app_runs(
    gguf_work: dict[str, Path], tmp_path: Path
) -> None:
    run = tmp_path / "run"
    t0 = time.monotonic()
    done = train_cli(
        "fit", "--base", str(gguf_work["base"]), "--data", str(gguf_work["data"]), "--out", str(run),
        "--preset", "laptop", "--max-steps", "6", "--lr", "2e-3", "--max-length", "512",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    generator = Path(done.stdout.strip())
    assert generator.parent == run and generator.name == "tiny-qwen2.Q8_0-opening.Q8_0.gguf" and generator.is_file()
    # the estimate from the first measured step, then the progress with the time left
    pairs = json.loads((run / "opening-train.json").read_text(encoding="utf-8"))["summary"]["pairs"]
    assert "about " in done.stderr and f"for {pairs} pairs (6 steps) on this machine" in done.stderr, done.stderr
    assert "first step " in done.stderr and "6/6 steps" in done.stderr
    # the preset: LoRA, a checkpoint every 5 steps; --max-length given on the command line wins over its 384
    record = json.loads((run / "opening-train.json").read_text(encoding="utf-8"))
    identity = record["identity"]
    assert identity["lora"] is True and identity["save_steps"] == 5 and identity["epochs"] == 1.0
    assert identity["max_length"] == 512 and len(identity["base_gguf_sha256"]) == 64
    assert record["finished"] and record["summary"]["generator"] == str(generator)
    assert not (run / "base").exists()  # the float copy of the base is gone once the generator is written
    # the generator: the base's tokenizer and chat template, marked for the raw opening templates
    info = inspect_gguf(generator)
    assert info.reverse_template == "opening" and info.chat_template == CHAT and info.quantization == "Q8_0"
    assert tokenizer_fields(generator) == tokenizer_fields(gguf_work["base"])
    assert inspect_gguf(gguf_work["base"]).reverse_template is None
    ran = subprocess.run(
        [sys.executable, "-m", "opening", "generate", "The river runs by the old mill.", "--model", str(generator),
         "-n", "2", "--max-tokens", "8", "--seed", "1", "--format", "json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert ran.returncode in (0, 3), ran.stderr  # 3: every candidate rejected (a random model); still a run
    report = json.loads(ran.stdout)
    assert [c["template"] for c in report["candidates"]] == ["opening/instruction", "opening/message"]
    print(f"GGUF base → generator in {time.monotonic() - t0:.1f} s")


def test_the_window_lists_the_trained_generator_with_its_evaluation(gguf_work: dict[str, Path], tmp_path: Path, qtbot) -> None:
    from opening.base.settings import Settings
    from opening.gui import strings
    from opening.gui.main_window import MainWindow
    from opening.models.trained import read_trained, record_evaluation, trained_generators

    run = tmp_path / "run"
    done = train_cli(
        "fit", "--base", str(gguf_work["base"]), "--data", str(gguf_work["data"]), "--out", str(run),
        "--preset", "laptop", "--max-steps", "2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    generator = Path(done.stdout.strip())
    assert [t.path for t in trained_generators()] == [generator]
    assert read_trained(gguf_work["base"]) is None  # a GGUF without a finished run naming it is no trained generator
    dev = tmp_path / "dev.jsonl"
    dev.write_text(json.dumps({"instruction": "Describe the river.", "output": "The river runs by the old mill."}) + "\n")
    ev = subprocess.run(
        [sys.executable, "-m", "opening", "eval-choice", str(dev), "--model", str(generator), "-n", "2", "--max-tokens", "8"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ),
    )  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    assert "recorded in" in ev.stderr and "(dev.jsonl, 1 texts" in ev.stderr
    line = read_trained(generator).line()
    assert "from tiny-qwen2.Q8_0.gguf" in line and "2 steps" in line and "ROUGE-L" in line and "dev.jsonl" in line
    assert not record_evaluation(gguf_work["base"], "x", dev)

    strings.set_language("en")
    window = MainWindow(Settings.load(), seed=1)
    qtbot.addWidget(window)
    window.show()
    assert window.trained_menu.title() == "Use a generator I &trained"
    window.fill_trained_menu()
    actions = window.trained_menu.actions()
    assert [a.text() for a in actions] == [line] and actions[0].isEnabled()
    with qtbot.waitSignal(window.modelChanged, timeout=60_000) as blocker:
        actions[0].trigger()
    assert blocker.args == [True] and window.models.path.resolve() == generator.resolve()
    window.fill_trained_menu()
    assert window.trained_menu.actions()[0].isChecked()  # the one loaded is checked


def test_sigkill_loses_only_the_steps_since_the_last_checkpoint(gguf_work: dict[str, Path], tmp_path: Path) -> None:
    run = tmp_path / "killed"
    args = ["fit", "--base", str(gguf_work["base"]), "--data", str(gguf_work["data"]), "--out", str(run),
            "--preset", "laptop", "--max-steps", "16"]  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "opening_train", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    marker = run / "checkpoints" / "checkpoint-10" / "opening-complete"
    deadline = time.monotonic() + 300
    while not (marker.exists() and steps_logged(run) >= 12) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = log_lines(run)[-1]["step"]
    assert (run / "base" / "opening-gguf-base.json").is_file()  # the unpacked base stays for the resume
    again = train_cli(*args, "--resume")
    assert again.returncode == 0, again.stderr
    steps = [line["step"] for line in log_lines(run)]
    last_saved = max(s for s in (10, 15) if s <= killed_at)
    assert killed_at - last_saved < 5 + 3  # at most the steps since the last checkpoint (every 5) were lost
    assert steps == list(range(1, killed_at + 1)) + list(range(last_saved + 1, 17)), steps
    assert Path(again.stdout.strip()).is_file() and not (run / "base").exists()


def test_a_base_that_cannot_be_one_is_refused_in_seconds_before_anything_is_written(
    gguf_work: dict[str, Path], tmp_path: Path, smol_path: Path
) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(gguf_work["base"].read_bytes()[:5000])
    for base, words in (
        (smol_path, "its architecture is 'llama'; a GGUF base can be qwen2"),  # SmolLM2: a Llama GGUF
        (cut, "cannot be the base"),
    ):
        out = tmp_path / f"run-{base.stem}"
        t0 = time.monotonic()
        done = train_cli("fit", "--base", str(base), "--data", str(gguf_work["data"]), "--out", str(out), "--preset", "laptop")
        assert done.returncode == 2 and words in done.stderr, done.stderr
        assert time.monotonic() - t0 < 60 and not out.exists()
        assert "Traceback" not in done.stderr
