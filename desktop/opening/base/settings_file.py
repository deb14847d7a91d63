"""Reading the app's own small JSON files in the user folder (``config.json``, ``models.json``), and what
happens when a person's hand edit broke one: nothing of it is lost.

:func:`read_settings_json` returns the parsed value, or None when the file is missing, not JSON, or not
what the caller accepts. A file that exists but cannot be used is first copied, byte for byte, to
``NAME.broken-YYYYmmdd-HHMMSS[-N]`` beside it, and the warning says where: the next save writes a good file
in its place, and the person's entries (threads, mirror, language, models) are still there to copy back.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def keep_aside(path: Path, reason: str) -> Path | None:
    """Copy ``path`` to a new ``NAME.broken-TIME`` beside it (never over another file) and warn with the
    reason and the copy's name; None when no copy could be made (the warning says so)."""
    try:
        data = path.read_bytes()
        for earlier in path.parent.glob(f"{path.name}.broken-*"):
            if earlier.is_file() and earlier.stat().st_size == len(data) and earlier.read_bytes() == data:
                log.warning("%s cannot be used (%s); its contents are kept in %s", path, reason, earlier)
                return earlier  # kept already (read twice before the next save)
    except OSError:
        pass
    stamp = f"{_dt.datetime.now():%Y%m%d-%H%M%S}"
    for n in range(1, 100):
        aside = path.with_name(f"{path.name}.broken-{stamp}{'' if n == 1 else f'-{n}'}")
        try:
            fd = os.open(aside, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            continue
        except OSError:
            break
        try:
            with os.fdopen(fd, "wb") as out, path.open("rb") as src:
                shutil.copyfileobj(src, out)
        except OSError as exc:
            aside.unlink(missing_ok=True)
            log.warning("%s cannot be used (%s) and could not be copied aside (%s); it is left as it is", path, reason, exc)
            return None
        log.warning("%s cannot be used (%s); its contents are kept in %s, and a good file will replace it", path, reason, aside)
        return aside
    log.warning("%s cannot be used (%s) and could not be copied aside; it is left as it is", path, reason)
    return None


def read_settings_json(path: Path, accept: Callable[[Any], str | None] = lambda _v: None) -> Any | None:
    """The JSON value of ``path``; None if it is missing or unusable. ``accept`` returns why a parsed value
    is unusable (None: it is fine). An unusable file is kept aside first (:func:`keep_aside`)."""
    try:
        if path.exists() and not path.is_file():
            log.warning("ignoring %s: not a regular file", path)
            return None
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("ignoring %s: %s", path, exc)
        return None
    try:
        value = json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        keep_aside(path, f"not valid JSON: {str(exc)[:120]}")
        return None
    problem = accept(value)
    if problem is not None:
        keep_aside(path, problem)
        return None
    return value
