"""Where a file dialog opens: the folder of what the field already names, else the user's home — never
the process's current folder (in a double-clicked bundle that is the app's own install folder)."""

from __future__ import annotations

from pathlib import Path


def start_dir(hint: str = "") -> str:
    """``hint`` itself when it is an existing folder or a file in one; else the home folder."""
    if hint.strip():
        path = Path(hint.strip()).expanduser()
        if path.is_dir() or path.parent.is_dir():
            return str(path)
    return str(Path.home())
