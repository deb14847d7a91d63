"""`opening generate` as a user runs it: a real process, stdout holds only the result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import HAPPY, SCRIPTS, SCRIPTS_ZH, XIAOMA
from gguf_factory import write_gguf
from opening.pipeline.instruct_prompt import styles_for


def run(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "opening", *args], capture_output=True, env=full_env, input=stdin, timeout=300
    )


def test_generate_json_happy_is_deterministic_with_a_seed() -> None:
    args = ("generate", "--format", "json", "-n", "5", "--max-tokens", "32", "--seed", "1", "--save-anyway", HAPPY)
    first, second = run(*args), run(*args)
    assert first.returncode in (0, 3), first.stderr.decode()
    report = json.loads(first.stdout)
    assert (first.returncode == 0) == (report["chosen"] is not None)  # 3: every candidate rejected
    assert len(report["candidates"]) == 5
    assert all(c["template"].startswith("chat/") for c in report["candidates"])
    assert {c["template"] for c in report["candidates"]} == {f"chat/{s}" for s in styles_for(HAPPY)}  # a label's styles
    assert report["output"] == HAPPY
    assert report["params"]["seed"] == 1 and report["params"]["n"] == 5
    # what SmolLM2 samples differs between CPUs (AVX2 / AVX-512 kernels): what follows holds for any candidates
    scored = [c for c in report["candidates"] if c["nll"] is not None]
    assert all(c["rejected"] is None and c["duplicate_of"] is None for c in scored)
    assert all(c["rejected"] is not None or c["duplicate_of"] is not None for c in report["candidates"] if c not in scored)
    if scored:  # --save-anyway: the lowest NLL is chosen, helpful or not
        chosen = report["candidates"][report["chosen"]]
        assert chosen["rejected"] is None and chosen["nll"] == min(c["nll"] for c in scored)
        pair = report["pair"]  # an input (the instruction + ### Input: style) is folded into the demo pair
        assert pair["output"] == HAPPY and pair["instruction"].startswith(chosen["instruction"])
        assert chosen["input"] in pair["instruction"] if chosen["input"] else pair["instruction"] == chosen["instruction"]
        assert report["rank_order"][0] == report["chosen"]
    else:
        assert report["chosen"] is None and report["pair"] is None and report["status"] == "rejected"
    assert all(c["ifd"] is not None and c["helps"] == (c["ifd"] < 1) for c in scored)
    assert report["timings"]["rank_ms"] > 0
    assert len(report["model"]["sha256"]) == 64
    assert report["timings"]["generated_tokens"] > 0
    strip = lambda r: {k: v for k, v in json.loads(r.stdout).items() if k != "timings"}  # noqa: E731
    assert strip(first) == strip(second)


def test_text_mode_and_chinese_from_stdin(scripted_zh_path: Path) -> None:
    """The scripted model writes instructions the filter keeps on any CPU, so a pair is always printed."""
    proc = run("generate", "--file", "-", "-n", "2", "--max-tokens", "24", "--seed", "3", "--save-anyway",
               "--model", str(scripted_zh_path), stdin=XIAOMA.encode())
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode("utf-8")
    assert "Candidate Instruction 1 [" in out and "Candidate Instruction 2 [" in out
    assert any(script in out for script in SCRIPTS_ZH)
    pair = json.loads(out.strip().splitlines()[-1])
    assert pair[0]["output"] == XIAOMA  # Chinese kept as characters, not \u escapes
    assert XIAOMA in out


def test_progress_line_on_a_terminal_only(scripted_path: Path) -> None:
    """stderr on a real pseudo-terminal gets the progress line (generation, then scoring to 100%);
    redirected stderr (every other test here) gets none of it. The scripted model's candidates survive the
    filter on any CPU, so there is always a scoring pass to show."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "opening", "generate", "-n", "3", "--max-tokens", "32", "--seed", "1", "--save-anyway",
         "--model", str(scripted_path), HAPPY],
        stdout=subprocess.PIPE, stderr=slave, env=os.environ.copy(),
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=300)
    os.close(master)
    stderr = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, stderr
    assert "scoring:   0%" in stderr and "scoring: 100%" in stderr, stderr
    assert "scoring:" not in run("generate", "-n", "2", "--max-tokens", "16", "--seed", "1", HAPPY).stderr.decode()


def test_opening_model_environment_variable_is_used(smol_path: Path, tmp_path: Path) -> None:
    proc = run("generate", "--format", "json", "-n", "1", "--max-tokens", "4", HAPPY,
               env={"OPENING_MODEL": str(tmp_path / "missing.gguf")})
    assert proc.returncode == 1
    assert b"missing.gguf" in proc.stderr and b"OPENING_MODEL" in proc.stderr


def _assert_clean_error(proc: subprocess.CompletedProcess, code: int, fragment: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode == code, (proc.returncode, err)
    assert "Traceback" not in err
    assert fragment in err, err
    assert proc.stdout == b""
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("generate", ""), "the text is empty"),
        (("generate", "x", "-n", "0"), "between 1 and 10"),
        (("generate", "x", "-n", "11"), "between 1 and 10"),
        (("generate", "x", "--temperature", "-1"), "temperature"),
        (("generate", "x", "--top-p", "0"), "top-p"),
        (("generate", "x", "--top-p", "1.5"), "top-p"),
        (("generate",), "no text"),
        (("generate", "--file", "/nonexistent/text.txt"), "not found"),
        (("generate", "x", "--top-k", "many"), "invalid int value"),
    ],
)
def test_bad_input_exit_2_one_line(args: tuple[str, ...], fragment: str) -> None:
    _assert_clean_error(run(*args), 2, fragment)


def test_text_longer_than_context(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("lorem ipsum " * 9000, encoding="utf-8")
    proc = run("generate", "--file", str(big), "-n", "1")
    _assert_clean_error(proc, 2, "too long")
    assert b"8192" in proc.stderr


def test_binary_text_file(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)))
    _assert_clean_error(run("generate", "--file", str(path)), 2, "not a text file")


def test_model_problems_exit_1(tmp_path: Path, smol_path: Path) -> None:
    _assert_clean_error(run("generate", "x", "--model", str(tmp_path / "none.gguf")), 1, "not found")
    text = tmp_path / "notes.gguf"
    text.write_text("just some text", encoding="utf-8")
    _assert_clean_error(run("generate", "x", "--model", str(text)), 1, "not a GGUF model file")
    truncated = tmp_path / "half.gguf"
    truncated.write_bytes(smol_path.read_bytes()[: 50_000_000])
    _assert_clean_error(run("generate", "x", "--model", str(truncated)), 1, "truncated")
    # valid GGUF, known architecture, but not a complete model: llama.cpp refuses, we say why
    incomplete = write_gguf(tmp_path / "incomplete.gguf", arch="llama")
    _assert_clean_error(run("generate", "x", "--model", str(incomplete)), 1, "llama.cpp could not load")


def test_save_appends_the_chosen_pair(tmp_path: Path, scripted_path: Path, scripted_zh_path: Path) -> None:
    target = tmp_path / "pairs.json"
    args = ("generate", "--format", "json", "-n", "3", "--max-tokens", "32", "--seed", "2", "--save-anyway",
            "--save", str(target))
    first = run(*args, "--model", str(scripted_path), HAPPY)
    assert first.returncode == 0, first.stderr.decode()
    assert b"saved the pair to" in first.stderr
    second = run(*args, "--model", str(scripted_zh_path), XIAOMA)
    assert second.returncode == 0, second.stderr.decode()
    saved = json.loads(target.read_text(encoding="utf-8"))
    assert [p["output"] for p in saved] == [HAPPY, XIAOMA]
    assert saved[0] == json.loads(first.stdout)["pair"]
    assert XIAOMA in target.read_text(encoding="utf-8")  # characters, not escapes


def test_save_refuses_a_file_that_is_not_a_dataset_before_any_work(tmp_path: Path) -> None:
    target = tmp_path / "notes.json"
    target.write_text("my notes, not JSON", encoding="utf-8")
    proc = run("generate", HAPPY, "--save", str(target))
    _assert_clean_error(proc, 1, "not valid JSON")
    assert target.read_text(encoding="utf-8") == "my notes, not JSON"
    _assert_clean_error(run("generate", HAPPY, "--save", str(tmp_path / "no" / "such" / "dir.json")), 1,
                        "does not exist")


@pytest.mark.parametrize("how", ["reader gone", "closed", "full"])
def test_a_closed_or_full_stdout_never_loses_the_pair(tmp_path: Path, how: str, scripted_path: Path) -> None:
    """`| head -c 1` ends quietly with 0; `>&-` and `>/dev/full` are one error line, exit 1; the pair is
    saved in every case (saving comes before printing). The scripted model: a pair to save on any CPU."""
    target = tmp_path / "pairs.json"
    argv = [sys.executable, "-m", "opening", "generate", "-n", "2", "--max-tokens", "32", "--seed", "1",
            "--save-anyway", "--model", str(scripted_path), "--format", "json", "--save", str(target), HAPPY]
    if how == "reader gone":
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None
        proc.stdout.close()  # the reader is gone before anything is printed (as `| head -c 0`)
        err = proc.stderr.read().decode() if proc.stderr else ""
        code = proc.wait(timeout=300)
        assert code == 0, err
    else:
        with open("/dev/full", "w") as full:
            proc2 = subprocess.run(argv, stdout=full if how == "full" else None, stderr=subprocess.PIPE, timeout=300,
                                   preexec_fn=(lambda: os.close(1)) if how == "closed" else None)
        err, code = proc2.stderr.decode(), proc2.returncode
        assert code == 1, err
        assert ("disk is full" if how == "full" else "standard output") in err.splitlines()[-1]
    assert "Traceback" not in err and "Exception ignored" not in err, err
    saved = json.loads(target.read_text(encoding="utf-8"))
    assert len(saved) == 1 and saved[0]["output"] == HAPPY and saved[0]["instruction"] in SCRIPTS


def test_a_demo_model_run_ends_with_the_way_to_a_real_model(scripted_path: Path) -> None:
    """Whatever the demo model wrote (chosen or not), the last line says what it is and what to get instead;
    a run on any other model does not say it."""
    demo = run("generate", "-n", "1", "--max-tokens", "8", "--seed", "1", HAPPY)
    assert demo.returncode in (0, 3), demo.stderr.decode()
    last = demo.stderr.decode().strip().splitlines()[-1]
    assert "demo model" in last and "opening models download qwen2.5-1.5b-instruct" in last
    other = run("generate", "-n", "1", "--max-tokens", "8", "--seed", "1", "--model", str(scripted_path), HAPPY)
    assert "demo model" not in other.stderr.decode()
