"""``opening models``: inspect, add, list, catalog, download (against a local stand-in for the Hub), and
the memory fit estimate against a measured peak RSS."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path


from fake_hub import FakeHub
from gguf_factory import write_gguf
from opening.models import memory_fit
from opening.base import paths
from opening.models.catalog import load_catalog
from opening.models.gguf_file import inspect_gguf
from opening.base.sampling import SamplingParams


def opening(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opening", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def one_clean_line(proc: subprocess.CompletedProcess, code: int) -> str:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_inspect_the_real_demo_model(smol_path: Path) -> None:
    proc = opening("models", "inspect", str(smol_path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert (got["architecture"], got["quantization"], got["context_length"], got["chat_template"]) == (
        "llama", "Q4_1", 8192, True)
    assert 130e6 < got["parameters"] < 140e6 and got["file_size"] == smol_path.stat().st_size
    assert got["fit"]["needs_bytes"] > got["fit"]["weights"] > 90e6


def test_inspect_refuses_broken_files_with_the_reason(tmp_path: Path, smol_path: Path) -> None:
    data = smol_path.read_bytes()
    rng = random.Random(6)
    cases = {f"cut{i}.gguf": data[: rng.randrange(1, len(data) - 1)] for i in range(10)}
    cases["random.gguf"] = rng.randbytes(4096)
    cases["magic.gguf"] = b"GGUX" + data[4:1_000_000]
    for name, blob in cases.items():
        (tmp_path / name).write_bytes(blob)
    write_gguf(tmp_path / "alien.gguf", arch="not-an-arch")
    for path in sorted(tmp_path.iterdir()):
        line = one_clean_line(opening("models", "inspect", str(path)), 1)
        assert path.name in line or "GGUF" in line, line


def test_add_list_and_default(tmp_path: Path, smol_path: Path) -> None:
    copy = tmp_path / "my model.gguf"
    copy.write_bytes(smol_path.read_bytes())
    proc = opening("models", "add", str(copy), "--default")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(copy.resolve())
    listing = json.loads(opening("models", "list", "--format", "json").stdout)
    mine = [m for m in listing if m["path"] == str(copy.resolve())]
    assert mine and mine[0]["source"] == "added" and mine[0]["default"] is True
    assert any(m["source"] == "embedded" for m in listing)
    copy.write_bytes(b"now garbage")  # a registered file that broke is listed as unusable, not a crash
    text = opening("models", "list").stdout
    assert "unusable" in text and "my model.gguf" in text
    line = one_clean_line(opening("models", "add", str(tmp_path / "missing.gguf")), 2)
    assert "not found" in line


def test_catalog_entries_are_complete_and_the_embedded_hash_is_real(smol_path: Path) -> None:
    catalog = load_catalog()
    assert any("zh" in e.languages and e.size > 4e9 for e in catalog.models)  # a 7B Chinese+English model
    assert any(1e9 <= e.size <= 2.5e9 for e in catalog.models)  # a small-laptop one
    for entry in catalog.models:
        assert "/" in entry.repo_id and entry.filename.endswith(".gguf") and entry.licence and entry.verified
        assert entry.sha256 is None or len(entry.sha256) == 64
    embedded = next(e for e in catalog.models if e.embedded)
    assert embedded.filename == smol_path.name and embedded.size == smol_path.stat().st_size
    assert embedded.sha256 == hashlib.sha256(smol_path.read_bytes()).hexdigest()
    assert catalog.recipes and "opening-convert" in catalog.recipes[0].how
    assert "Qwen2.5-7B" in opening("models", "catalog").stdout


def test_download_killed_midway_resumes_and_registers(tmp_path: Path) -> None:
    hub = FakeHub()
    data = write_gguf(tmp_path / "tiny.gguf", tensors=6, rows=8192).read_bytes()  # a valid 6 MB GGUF
    hub.add("someone/tiny-GGUF", "tiny.gguf", data)
    hub.delay_per_chunk = 0.02  # about 2 s for the whole file
    env = {"HF_ENDPOINT": hub.start(), "OPENING_HOME": os.environ["OPENING_HOME"]}
    try:
        cmd = [sys.executable, "-m", "opening", "models", "download", "someone/tiny-GGUF", "tiny.gguf"]
        child = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        part = paths.models_dir() / "someone/tiny-GGUF/.tiny.gguf.part"
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size >= 2 * 1024 * 1024):  # 2 MB written
            assert time.monotonic() < deadline and child.poll() is None, child.stderr.read().decode()
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        kept = part.stat().st_size
        hub.delay_per_chunk = 0.0
        proc = opening("models", "download", "someone/tiny-GGUF", "tiny.gguf", "--default", env=env)
        assert proc.returncode == 0, proc.stderr
    finally:
        hub.stop()
    target = Path(proc.stdout.strip())
    assert target.read_bytes() == data
    assert hub.gets()[-1].range == f"bytes={kept}-"
    assert f"resumed at {kept / 1e6:.1f} MB" in proc.stderr
    assert "checked against the Hub's SHA-256" in proc.stderr
    listing = json.loads(opening("models", "list", "--format", "json", env=env).stdout)
    assert any(m["path"] == str(target) and m["source"] == "downloaded" for m in listing)


def test_download_offline_is_one_clear_line() -> None:
    proc = opening("models", "download", "qwen2.5-1.5b-instruct", env={"HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "offline mode is on (HF_HUB_OFFLINE=1)" in proc.stderr.strip().splitlines()[-1]
    line = one_clean_line(opening("models", "download", "opening-baichuan-7b"), 2)
    assert "opening-convert" in line


def test_fit_estimate_is_within_20_percent_of_the_measured_peak(smol_path: Path) -> None:
    """The estimate is made before loading, in a fresh process; that process then does the default run.
    It must hold whatever the model samples (the CPU's kernels decide that): the scoring pass's logits are
    bounded per decode, and the estimate counts that bound (docs/models.md has the table per CPU)."""
    script = f"""
import json
from opening.llama.engine import Engine, EngineSettings
from opening.models.gguf_file import inspect_gguf
from opening.models.memory_fit import estimate, peak_rss
from opening.pipeline.run import run_request
from opening.pipeline.request import Request
from opening.base.sampling import SamplingParams
params = SamplingParams(seed=1)
fit = estimate(inspect_gguf({str(smol_path)!r}), params, text_tokens=1)
with Engine({str(smol_path)!r}, EngineSettings(threads=2)) as engine:
    run_request(engine, Request("happy", params), source="test")
print(json.dumps({{"estimate": fit.total, "peak": peak_rss()}}))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    ratio = got["estimate"] / got["peak"]
    print(f"fit estimate {got['estimate'] / 1e6:.0f} MB vs peak RSS {got['peak'] / 1e6:.0f} MB: {ratio:.2f}")
    assert 0.8 <= ratio <= 1.2


def test_fit_warning_and_budget_in_step_with_scoring(smol_path: Path) -> None:
    info = inspect_gguf(smol_path)
    small = memory_fit.estimate(info, SamplingParams(n=1, max_tokens=128), text_tokens=10)
    big = memory_fit.estimate(info, SamplingParams(n=10, max_tokens=2000), text_tokens=4000)
    assert big.kv_cache > 10 * small.kv_cache and big.compute > small.compute
    with_rifd = memory_fit.estimate(info, SamplingParams(n=10, max_tokens=2000), text_tokens=4000, rifd=True)
    assert with_rifd.kv_cache > big.kv_cache  # r-IFD's rows are counted when the policy scores them
    mapped = memory_fit.estimate(info, use_mmap=True)
    assert mapped.weights == memory_fit.estimate(info).weights  # Q4_1 is not repacked: no mapped copy
    tight = memory_fit.FitEstimate(big.weights, big.kv_cache, big.compute, big.process, available=10_000_000)
    assert tight.fits is False and "may not fit in memory" in str(tight.warning())
    assert memory_fit.FitEstimate(1, 1, 1, 1, available=None).warning() is None
