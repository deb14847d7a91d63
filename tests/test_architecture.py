"""The architecture holds: pure layers load neither llama.cpp nor Qt, the contracts fail on a violation,
and the README's Python example runs as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = ["opening", "opening.base.errors", "opening.base.settings", "opening.base.sampling", "opening.data.dataset_file",
        "opening.data.review", "opening.models.gguf_file", "opening.models.memory_fit", "opening.models.registry",
        "opening.models.hub_download", "opening.models.resolve", "opening.pipeline.templates",
        "opening.pipeline.candidate_filter", "opening.pipeline.candidate_clean", "opening.pipeline.request",
        "opening.gui.options"]


def test_pure_layers_load_neither_llama_cpp_nor_qt() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {PURE!r}: importlib.import_module(name)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('llama_cpp', 'PySide6', 'shiboken6'))\n"
        "print(heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", proc.stdout


def test_the_api_names_resolve_lazily() -> None:
    code = (
        "import sys, opening\n"
        "assert 'llama_cpp' not in sys.modules\n"
        "assert opening.generate.__module__ == 'opening.pipeline.api' and opening.Outcome.__name__ == 'Outcome'\n"
        "assert 'llama_cpp' in sys.modules and 'PySide6' not in sys.modules\n"
        "print([n for n in opening.__all__ if getattr(opening, n, None) is None or n not in dir(opening)])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def _copy_tree(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    for part in ("desktop", "convert", "train"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def _lint_imports(copy: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(copy / part) for part in ("desktop", "convert", "train"))}
    return subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=copy, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "module, line, broken",
    [
        ("desktop/opening/base/sampling.py", "import PySide6.QtCore", "Qt only in opening.gui"),
        ("desktop/opening/data/records.py", "import llama_cpp", "llama_cpp only in opening.llama"),
        ("desktop/opening/models/catalog.py", "from opening.pipeline import run", "Layers"),
        ("desktop/opening/pipeline/ranking.py", "import opening_convert.job", "never imports the converter"),
        ("desktop/opening/pipeline/batch.py", "import ray", "ray only in opening.cluster"),
        ("desktop/opening/data/export.py", "import opening_train.mix", "never import the trainer"),
        ("desktop/opening/gui/batch_panel.py", "from opening.cluster import ray_batch", "Layers"),
        ("convert/opening_convert/job.py", "import transformers", "The training stack only in the trainer"),
        ("desktop/opening/pipeline/choice_eval.py", "import torch", "torch never in the app"),
    ],
)
def test_the_contracts_fail_on_a_planted_violation(tmp_path: Path, module: str, line: str, broken: str) -> None:
    copy = _copy_tree(tmp_path)
    assert _lint_imports(copy).returncode == 0  # the copy as it is keeps every contract
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # planted\n", encoding="utf-8")
    proc = _lint_imports(copy)
    assert proc.returncode != 0
    assert re.search(rf"{re.escape(broken)}.* BROKEN", proc.stdout), proc.stdout


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- api-example -->\s*```python\n(.*?)```", text, re.S)
    assert match, "README.md has no marked Python example"
    return match.group(1)


def test_the_readme_python_example_runs(tmp_path: Path) -> None:
    example = _readme_example()
    assert len(example.strip().splitlines()) <= 12
    proc = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert '"output": "happy"' in proc.stdout or "'output': 'happy'" in proc.stdout, proc.stdout
    saved = (tmp_path / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(saved) == 1 and '"output": "happy"' in saved[0]
