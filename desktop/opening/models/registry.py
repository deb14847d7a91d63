"""The models this user has: files registered in place (``models add``, Open GGUF…), downloads in the
user's model folder, and the embedded demo model. Kept in ``models.json`` in the user folder."""

from __future__ import annotations

import datetime as _dt
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from opening.base import paths
from opening.base.atomic import atomic_write_text
from opening.base.errors import OpeningError, describe_os_error
from opening.base.settings_file import keep_aside, read_settings_json
from opening.models.resolve import embedded_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KnownModel:
    path: str
    source: str
    """``added``, ``downloaded`` or ``embedded`` (``found``: a GGUF in the model folder not yet listed)."""
    repo_id: str | None = None
    added: str = ""


def registry_file() -> Path:
    return paths.user_dir() / "models.json"


def _load() -> list[KnownModel]:
    """The listed models; a broken list (or entry) is kept aside before the next save drops it."""
    path = registry_file()
    raw = read_settings_json(path, lambda v: None if isinstance(v, list) else "not a list")
    if raw is None:
        return []
    entries = []
    wrong = []
    for item in raw:
        try:
            entry = KnownModel(**item)
            if not all(isinstance(v, str) for v in (entry.path, entry.source, entry.added)) or not entry.path:
                raise TypeError("a field has the wrong type")
            if entry.repo_id is not None and not isinstance(entry.repo_id, str):
                raise TypeError("repo_id is not a string")
        except TypeError as exc:
            wrong.append(str(exc)[:80])
            continue
        entries.append(entry)
    if wrong:
        keep_aside(path, "entries ignored: " + "; ".join(wrong))
    return entries


def register(path: Path, source: str, repo_id: str | None = None) -> KnownModel:
    """Remember ``path`` (resolved; registering it again updates the entry)."""
    path = Path(path).expanduser().resolve()
    entry = KnownModel(str(path), source, repo_id, _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    try:
        registry_file().parent.mkdir(parents=True, exist_ok=True)
        # read, change and write under one lock: two processes registering at once both stay listed
        with FileLock(str(registry_file().with_name(".models.json.lock")), timeout=30):
            entries = [e for e in _load() if e.path != str(path)] + [entry]
            atomic_write_text(registry_file(), json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=1))
    except (OSError, Timeout) as exc:
        reason = describe_os_error(exc) if isinstance(exc, OSError) else "another process holds the model list"
        raise OpeningError("registry.cannot_save", path=registry_file(), reason=reason) from None
    return entry


def known_models() -> list[KnownModel]:
    """Registered files, then GGUFs found in the model folder, then the embedded model (no duplicates)."""
    seen: set[str] = set()
    result: list[KnownModel] = []
    for entry in _load():
        if entry.path not in seen:
            seen.add(entry.path)
            result.append(entry)
    folder = paths.models_dir()
    if folder.is_dir():
        for found in sorted(folder.rglob("*.gguf")):
            key = str(found.resolve())
            if not any(part.startswith(".") for part in found.relative_to(folder).parts) and key not in seen:
                seen.add(key)
                result.append(KnownModel(key, "found"))
    embedded = embedded_model()
    if embedded is not None and str(embedded.resolve()) not in seen:
        result.append(KnownModel(str(embedded.resolve()), "embedded"))
    return result
