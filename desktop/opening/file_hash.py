"""SHA-256 of model files, cached by (path, size, mtime) so a 4 GB model is hashed once."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path

from . import paths
from .atomicio import atomic_write_text

log = logging.getLogger(__name__)
_lock = threading.Lock()
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cached_sha256(path: Path) -> str:
    path = Path(path).resolve()
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    cache_file = paths.cache_dir() / "sha256.json"
    with _lock:
        try:
            cache = json.loads(cache_file.read_text(encoding="utf-8"))
            if not isinstance(cache, dict):
                cache = {}
        except (OSError, ValueError):
            cache = {}
        if key in cache:
            return str(cache[key])
    value = sha256_file(path)
    with _lock:
        cache[key] = value
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(cache_file, json.dumps(cache, indent=1))
        except OSError as exc:  # a read-only user folder must not stop generation
            log.warning("could not cache the model hash in %s: %s", cache_file, exc)
    return value
