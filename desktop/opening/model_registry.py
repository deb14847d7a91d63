"""The models this user has: files registered in place (``models add``, Open GGUF…), downloads in the
user's model folder, and the embedded demo model. Kept in ``models.json`` in the user folder."""

from __future__ import annotations

import datetime as _dt
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from . import paths
from .atomicio import atomic_write_text
from .errors import OpeningError
from .model_resolve import embedded_model

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
    try:
        raw = json.loads(registry_file().read_text(encoding="utf-8"))
        return [KnownModel(**item) for item in raw]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError) as exc:
        log.warning("ignoring an unreadable model list %s: %s", registry_file(), exc)
        return []


def register(path: Path, source: str, repo_id: str | None = None) -> KnownModel:
    """Remember ``path`` (resolved; registering it again updates the entry)."""
    path = Path(path).expanduser().resolve()
    entry = KnownModel(str(path), source, repo_id, _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    entries = [e for e in _load() if e.path != str(path)] + [entry]
    try:
        registry_file().parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(registry_file(), json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=1))
    except OSError as exc:
        raise OpeningError(f"could not save the model list {registry_file()}: {exc.strerror or exc}") from None
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
