"""Write small GGUF files with the gguf package (valid or deliberately broken) for tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gguf import GGUFWriter


def write_gguf(path: Path, arch: str = "llama", tensors: int = 2, rows: int = 64) -> Path:
    writer = GGUFWriter(str(path), arch)
    writer.add_name("tiny test model")
    writer.add_context_length(128)
    rng = np.random.default_rng(0)
    for i in range(tensors):
        writer.add_tensor(f"blk.{i}.ffn_up.weight", rng.standard_normal((rows, 32)).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
