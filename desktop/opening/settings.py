"""The user's persistent settings (a small JSON file in the user folder)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from . import paths
from .atomicio import atomic_write_text

log = logging.getLogger(__name__)


@dataclass
class Settings:
    default_model: str | None = None
    threads: int | None = None
    gpu_layers: int = 0
    use_mmap: bool | None = None
    """None: automatic (read on the CPU, map with GPU offload)."""
    repack: bool = True
    """llama.cpp's CPU weight repacking: faster generation steps, slower batches (README "Loading mode")."""
    # the window's state
    params: dict[str, Any] = field(default_factory=dict)
    """The last sampling parameters (SamplingParams field names)."""
    dataset_file: str | None = None
    dataset_format: str | None = None
    auto_save: bool = True
    language: str | None = None
    """``en`` or ``zh``; None follows the system locale."""
    window_geometry: str | None = None
    """Base64 of the window's saved geometry."""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> "Settings":
        path = path or paths.config_file()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable settings file %s: %s", path, exc)
            return cls()
        if not isinstance(raw, dict):
            log.warning("ignoring settings file %s: not a JSON object", path)
            return cls()
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {}
        for key, value in raw.items():
            if key in known and _type_ok(key, value):
                values[key] = value
            elif key in known:
                log.warning("ignoring setting %s=%r in %s: wrong type", key, value, path)
        extra = {k: v for k, v in raw.items() if k not in known}
        return cls(**values, extra=extra)

    def save(self, path: Path | None = None) -> None:
        path = path or paths.config_file()
        data = asdict(self)
        data.update(data.pop("extra"))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2))


_TYPES: dict[str, tuple[type, ...]] = {
    "default_model": (str, type(None)), "threads": (int, type(None)), "gpu_layers": (int,),
    "use_mmap": (bool, type(None)), "repack": (bool,),
    "params": (dict,), "dataset_file": (str, type(None)), "dataset_format": (str, type(None)), "auto_save": (bool,),
    "language": (str, type(None)), "window_geometry": (str, type(None)),
}


def _type_ok(key: str, value: Any) -> bool:
    types = _TYPES.get(key)
    if types is None:
        return True
    if isinstance(value, bool) and bool not in types:  # JSON true is not a thread count
        return False
    return isinstance(value, types)
