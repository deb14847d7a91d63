"""Build the double-click app: ``python packaging/build.py`` → ``dist/OpenING/`` (launcher
``dist/OpenING/OpenING``) and an archive beside it.

Steps (each says what it does on stderr):

1. A build environment of its own (``build/bundle-venv``): the app, PyInstaller, and a **portable**
   llama-cpp-python. The ordinary ``pip install`` compiles llama.cpp for the build machine's CPU
   (GGML_NATIVE; these machines have AVX-512) and a bundle made from it dies with "illegal instruction"
   on most laptops. The portable wheel is built with ``GGML_NATIVE=OFF GGML_BACKEND_DL=ON
   GGML_CPU_ALL_VARIANTS=ON``: one CPU library per instruction-set level, the best one picked at run
   time (opening.llama.backend.load_cpu_variants). Compiling it takes a while, so the wheel is kept in
   pip's cache folder (``<pip cache>/opening-portable/``), never in the repository.
2. Icons rendered from ``packaging/opening.svg`` with Qt (PNG; ICO on Windows; ICNS on macOS).
3. PyInstaller with ``packaging/opening.spec`` (one folder, not one file: nothing unpacked at each start).
4. The Linux desktop entry and icon in the bundle, an archive (``.tar.gz`` on Linux, ``.zip`` elsewhere),
   and what takes the space.

``--native`` skips step 1's portable wheel and bundles the build machine's own llama.cpp (quicker, for
trying the packaging; the bundle then runs only on CPUs like this one).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "packaging"
BUILD = ROOT / "build"
DIST = ROOT / "dist"
NAME = "OpenING"
PORTABLE_CMAKE = "-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF"


def say(message: str) -> None:
    print(f"build: {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kwargs: object) -> None:
    say(" ".join(str(c) for c in cmd))
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def llama_version() -> str:
    """The llama-cpp-python version the app is tested with (the one installed beside this script's Python)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llama_cpp_python")
    except PackageNotFoundError:
        return "0.3.36"


def pip_cache_dir(python: Path) -> Path:
    out = subprocess.run([str(python), "-m", "pip", "cache", "dir"], capture_output=True, text=True)
    folder = out.stdout.strip().splitlines()[-1] if out.returncode == 0 and out.stdout.strip() else ""
    return Path(folder) if folder and Path(folder).is_absolute() else Path.home() / ".cache" / "pip"


def portable_wheel(python: Path, version: str, cmake_args: str) -> Path:
    """The portable llama-cpp-python wheel: from pip's cache folder, or compiled now and kept there."""
    key = hashlib.sha256(f"{version} {cmake_args} {platform.machine()} {sys.platform}".encode()).hexdigest()[:16]
    folder = pip_cache_dir(python) / "opening-portable" / key
    found = sorted(folder.glob("llama_cpp_python-*.whl"))
    if found:
        say(f"portable llama.cpp wheel from the cache: {found[-1]}")
        return found[-1]
    say(f"compiling a portable llama.cpp ({cmake_args}); this takes a while the first time")
    staging = BUILD / "portable-wheel"
    shutil.rmtree(staging, ignore_errors=True)
    env = {**os.environ, "CMAKE_ARGS": cmake_args, "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2)}
    started = time.monotonic()
    # --no-cache-dir: pip's own wheel cache is keyed by the source only, and must not hand this build
    # to an ordinary `pip install llama-cpp-python` (or the native one to us)
    run(
        [
            str(python),
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-cache-dir",
            "--no-binary",
            "llama-cpp-python",
            f"llama-cpp-python=={version}",
            "-w",
            str(staging),
        ],
        env=env,
    )
    wheel = next(staging.glob("llama_cpp_python-*.whl"))
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / wheel.name
    shutil.copy2(wheel, kept.with_suffix(".part"))
    os.replace(kept.with_suffix(".part"), kept)
    say(f"compiled in {time.monotonic() - started:.0f} s; kept in {kept}")
    return kept


def build_env(native: bool) -> Path:
    venv = BUILD / "bundle-venv"
    python = venv_python(venv)
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    version = llama_version()
    if native:
        run([str(python), "-m", "pip", "install", "-q", f"llama-cpp-python=={version}"])
    else:
        wheel = portable_wheel(python, version, PORTABLE_CMAKE)
        run([str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(wheel)])
        run([str(python), "-m", "pip", "install", "-q", str(wheel)])  # its dependencies
    run([str(python), "-m", "pip", "install", "-q", "pyinstaller>=6.10", str(ROOT)])
    return python


def make_icons(python: Path, out: Path) -> None:
    """PNG (and ICO/ICNS where the platform wants them) from the SVG, with Qt (no other image tool)."""
    out.mkdir(parents=True, exist_ok=True)
    script = f"""
import sys
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
app = QGuiApplication(["icons"])
renderer = QSvgRenderer({str(HERE / "opening.svg")!r})
image = QImage(256, 256, QImage.Format.Format_ARGB32)
image.fill(0)
painter = QPainter(image); renderer.render(painter); painter.end()
for suffix in ("png", "ico", "icns"):
    image.save({str(out)!r} + "/opening." + suffix)
"""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run([str(python), "-c", script], env=env)
    for suffix in ("ico", "icns"):  # a platform whose Qt cannot write one does not need it
        if not (out / f"opening.{suffix}").exists():
            shutil.copy2(out / "opening.png", out / f"opening.{suffix}")


def linux_extras(bundle: Path, icons: Path) -> None:
    shutil.copy2(HERE / "opening.desktop", bundle / "opening-desktop.desktop")
    shutil.copy2(icons / "opening.png", bundle / "opening-desktop.png")
    shutil.copy2(HERE / "install-desktop-entry.sh", bundle / "install-desktop-entry.sh")
    os.chmod(bundle / "install-desktop-entry.sh", 0o755)


def archive(bundle: Path) -> Path:
    system = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform)
    stem = DIST / f"{NAME}-{app_version()}-{system}-{platform.machine().lower()}"
    if sys.platform.startswith("linux"):
        target = stem.with_name(stem.name + ".tar.gz")
        with tarfile.open(target, "w:gz", compresslevel=6) as tar:
            tar.add(bundle, arcname=NAME)
    else:
        target = stem.with_name(stem.name + ".zip")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(bundle.rglob("*")):
                zf.write(path, Path(NAME) / path.relative_to(bundle))
    return target


def app_version() -> str:
    import re

    found = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    return found.group(1) if found else "0"


def sizes(bundle: Path, top: int = 12) -> str:
    """The bundle's size and what takes the space (by top-level entry of ``_internal``)."""

    def size(p: Path) -> int:  # links (PyInstaller makes some) are not counted twice
        if p.is_symlink():
            return 0
        return (
            p.stat().st_size
            if p.is_file()
            else sum(f.lstat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())
        )

    total = size(bundle)
    inner = bundle / "_internal"
    parts = sorted(((size(p), p.name) for p in inner.iterdir()), reverse=True)[:top] if inner.is_dir() else []
    lines = [f"{total / 1e6:.0f} MB in {bundle}"] + [f"  {n / 1e6:7.1f} MB  {name}" for n, name in parts]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--native", action="store_true", help="bundle this machine's own llama.cpp build (not portable)")
    parser.add_argument("--no-archive", action="store_true", help="leave out the archive")
    args = parser.parse_args(argv)
    started = time.monotonic()
    python = build_env(args.native)
    icons = BUILD / "icons"
    make_icons(python, icons)
    bundle = DIST / NAME
    shutil.rmtree(bundle, ignore_errors=True)
    env = {**os.environ, "OPENING_BUILD_ICONS": str(icons)}
    run(
        [
            str(python),
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(DIST),
            "--workpath",
            str(BUILD / "pyinstaller"),
            str(HERE / "opening.spec"),
        ],
        env=env,
    )
    if sys.platform.startswith("linux"):
        linux_extras(bundle, icons)
    print(sizes(bundle), flush=True)
    if not args.no_archive:
        target = archive(bundle)
        print(f"{target.stat().st_size / 1e6:.0f} MB archive: {target}", flush=True)
    say(f"done in {time.monotonic() - started:.0f} s: {bundle / NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
