"""A test environment whose llama.cpp is the portable build, so the suite can run as another CPU would.

    python packaging/variant_env.py [FOLDER]      # default build/variant-venv; prints its python

``pip install llama-cpp-python`` compiles llama.cpp for the CPU it installs on, and kernels for other
instruction sets add in other orders: the same seed samples other tokens on an AVX2 laptop than on an
AVX-512 server. The bundle's portable wheel (``packaging/build.py``: one CPU library per instruction-set
level, compiled once and kept in pip's cache folder) carries them all, and ``OPENING_CPU_VARIANT=NAME``
makes the app load one of them. This makes a venv with that wheel and the app (editable, with the test
extra), so that

    OPENING_CPU_VARIANT=haswell build/variant-venv/bin/python -m pytest -q tests/…

runs the tests with AVX2 kernels on an AVX-512 machine (or ``sandybridge``, AVX only, on an AVX2 one).
:func:`other_variant` names the variant `.ci/run` uses: one this CPU can run whose kernels differ from
the ones a native build here would use.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from build import PORTABLE_CMAKE, ROOT, llama_version, portable_wheel, say, venv_python  # noqa: E402


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def other_variant() -> str:
    """AVX2 kernels (``haswell``) on an AVX-512 CPU; AVX-only kernels (``sandybridge``) on any other."""
    return "haswell" if "avx512f" in cpu_flags() else "sandybridge"


def make(folder: Path) -> Path:
    python = venv_python(folder)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    wheel = portable_wheel(python, llama_version(), PORTABLE_CMAKE)
    say(f"installing {wheel.name} and the app into {folder}")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]"], check=True)
    return python


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "variant-venv"
    print(make(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
