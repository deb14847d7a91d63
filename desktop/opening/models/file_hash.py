"""SHA-256 of model files, cached by (path, size, mtime) so a 4 GB model is hashed once."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path

from opening.base import paths
from opening.base.atomic import atomic_write_text
from opening.base.progress import StageFn

log = logging.getLogger(__name__)
_lock = threading.Lock()
_CHUNK = 1 << 20


def sha256_file(path: Path, progress: StageFn | None = None) -> str:
    """The file's SHA-256; ``progress`` hears ``("hashing", fraction)`` every 64 MB (a 100 GB model takes minutes)."""
    digest = hashlib.sha256()
    size = max(1, path.stat().st_size)
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress is not None and done % (64 * _CHUNK) == 0:
                progress("hashing", done / size)
    if progress is not None:
        progress("hashing", 1.0)
    return digest.hexdigest()


def _key(path: Path) -> str:
    path = Path(path).resolve()
    stat = path.stat()
    return f"{path}|{stat.st_size}|{stat.st_mtime_ns}"


def _load() -> dict[str, str]:
    try:
        cache = json.loads((paths.cache_dir() / "sha256.json").read_text(encoding="utf-8"))
        return {k: v for k, v in cache.items() if isinstance(v, str)} if isinstance(cache, dict) else {}
    except (OSError, ValueError, RecursionError):
        return {}


def remember_sha256(path: Path, value: str) -> None:
    """Record a hash computed elsewhere (a verified download), so the file is not hashed again."""
    key = _key(path)
    with _lock:
        cache = _load()
        cache[key] = value
        cache_file = paths.cache_dir() / "sha256.json"
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(cache_file, json.dumps(cache, indent=1))
        except OSError as exc:  # a read-only user folder must not stop generation
            log.warning("could not cache the model hash in %s: %s", cache_file, exc)


def cached_sha256(path: Path, progress: StageFn | None = None) -> str:
    key = _key(path)
    with _lock:
        cached = _load().get(key)
    if cached is not None:
        return str(cached)
    log.info("computing the SHA-256 of %s (once per file)", path)
    value = sha256_file(Path(path), progress)
    remember_sha256(path, value)
    return value
