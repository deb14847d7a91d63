"""Smoke-test the built bundle as a user's machine would run it: ``python packaging/smoke_test.py``
(after ``python packaging/build.py``). Prints one line per check and exits non-zero if any fails.

1. ``OpenING --self-test`` with an empty environment (``env -i``: no Python on PATH, no variables) and
   no network (``unshare -n``, when this user may make a namespace): the demo model end to end.
2. The window opens (offscreen) and its screenshot is saved; the time from launch to window shown,
   cold (the page cache dropped first, when run as root) and warm. With ``xvfb-run``, it also opens on a
   real X server through Qt's xcb platform (the libraries the bundle carries for it).
3. ``--self-test --quick`` (the English example, 2 candidates of 8 tokens: emulation is ~100× slower) under ``qemu-x86_64
   -cpu Haswell`` (AVX2, no AVX-512) and ``-cpu Nehalem`` (no AVX at all): the bundle must not depend on
   the build machine's AVX-512 (the portable build picks the ``haswell`` and ``sse42`` CPU libraries;
   the verdict names the one loaded). Skipped, and said, when qemu-user is not installed (``apt-get
   install qemu-user``) or the bundle is a ``--native`` one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "OpenING"
LAUNCHER = BUNDLE / "OpenING"


def isolated(cmd: list[str], home: Path, *, offline: bool = True, extra_env: dict[str, str] | None = None) -> list[str]:
    """``cmd`` with an empty environment (only the user folder, for a clean start) and, when possible,
    no network."""
    env = ["env", "-i", f"OPENING_HOME={home}", *(f"{k}={v}" for k, v in (extra_env or {}).items())]
    can_unshare = offline and shutil.which("unshare") and _runs(["unshare", "-n", "true"])
    return (["unshare", "-n"] if can_unshare else []) + env + cmd


def as_restarted() -> dict[str, str]:
    """The variables PyInstaller's Linux bootloader sets before it restarts itself with exec(). qemu-user
    does not follow an exec (the new image would run natively, on this machine's CPU); with these set,
    the bootloader sees it has already restarted and the whole app runs under the emulator."""
    return {
        "_PYI_ARCHIVE_FILE": str(LAUNCHER),
        "_PYI_PARENT_PROCESS_LEVEL": "-1",
        "_PYI_LINUX_PROCESS_NAME": LAUNCHER.name,
        "LD_LIBRARY_PATH": str(BUNDLE / "_internal"),
    }


def drop_page_cache() -> bool:
    """Make the next start a cold one (the bundle's files read from disk again); needs root."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def _runs(cmd: list[str]) -> bool:
    return subprocess.run(cmd, capture_output=True).returncode == 0


def check(name: str, cmd: list[str], *, timeout: float, expect: str = "", ok: bool = True) -> tuple[bool, str, float]:
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"{name}: no answer in {timeout:.0f} s", timeout
    took = time.monotonic() - started
    out = (proc.stdout.strip().splitlines() or [""])[-1]
    passed = (proc.returncode == 0) == ok and expect in proc.stdout
    detail = out if passed else f"exit {proc.returncode}: {out or proc.stderr.strip()[-400:]}"
    return passed, f"{name} ({took:.1f} s): {detail}", took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="packaging/smoke_test.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshot", type=Path, default=ROOT / "dist" / "bundle-window.png")
    parser.add_argument("--no-qemu", action="store_true", help="leave out the emulated older CPUs")
    args = parser.parse_args(argv)
    if not LAUNCHER.exists():
        print(f"smoke: no bundle at {LAUNCHER}; run python packaging/build.py first", file=sys.stderr)
        return 2
    failures = 0
    with tempfile.TemporaryDirectory(prefix="opening-smoke-") as tmp:
        home = Path(tmp)
        results = [
            check(
                "self-test, env -i, no network",
                isolated([str(LAUNCHER), "--self-test"], home),
                timeout=600,
                expect="self-test passed",
            ),
        ]
        shot = args.screenshot
        for start in ("cold", "warm"):
            shot.unlink(missing_ok=True)
            if start == "cold" and not drop_page_cache():
                start = "first (page cache not dropped: not root)"
            cmd = isolated([str(LAUNCHER), "--screenshot", str(shot)], home, extra_env={"QT_QPA_PLATFORM": "offscreen"})
            passed, said, took = check(f"window shown, {start} start", cmd, timeout=120, expect="shown ")
            seconds = said.rsplit(" ", 1)[-1]
            said = f"{said.split(':')[0]}: launch to window shown {seconds} s (process {took:.1f} s)"
            results.append((passed and shot.exists(), said, took))
        if shutil.which("xvfb-run"):
            xshot = shot.with_name("bundle-window-xcb.png")
            xshot.unlink(missing_ok=True)
            inner = (
                f"env -i DISPLAY=$DISPLAY XAUTHORITY=$XAUTHORITY OPENING_HOME={home} QT_QPA_PLATFORM=xcb"
                f" {LAUNCHER} --screenshot {xshot}"
            )
            cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "sh", "-c", inner]
            passed, said, took = check("window on a real X server (Xvfb, xcb)", cmd, timeout=120, expect="shown ")
            results.append((passed and xshot.exists(), said.split(":")[0] + f": shown, screenshot {xshot}", took))
        else:
            print("smoke: skipped the X server check (no xvfb-run: apt-get install xvfb)", flush=True)
        portable = any((BUNDLE / "_internal" / "llama_cpp" / "lib").glob("*ggml-cpu-*"))
        qemu = shutil.which("qemu-x86_64")
        if args.no_qemu or not qemu or not portable:
            why = "--no-qemu" if args.no_qemu else "qemu-user is not installed" if not qemu else "a --native bundle"
            print(f"smoke: skipped the emulated CPUs ({why})", flush=True)
        else:
            for cpu in ("Haswell", "Nehalem"):
                cmd = isolated([qemu, "-cpu", cpu, str(LAUNCHER), "--self-test", "--quick"], home, extra_env=as_restarted())
                results.append(check(f"quick self-test on an emulated {cpu} CPU", cmd, timeout=1800, expect="self-test passed"))
        for passed, said, _took in results:
            print(("ok    " if passed else "FAIL  ") + said, flush=True)
            failures += not passed
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
