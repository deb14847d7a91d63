"""The core package must import without Qt (the GUI is a thin skin in opening.gui)."""

import pkgutil
import subprocess
import sys

import opening


def test_no_core_module_imports_qt() -> None:
    modules = [m.name for m in pkgutil.walk_packages(opening.__path__, "opening.") if not m.name.startswith("opening.gui")]
    assert "opening.llama.engine" in modules and "opening.cli.main" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    if name != 'opening.__main__': importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'PyQt', 'shiboken')))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
