"""The user's persistent settings (a small JSON file in the user folder)."""

from __future__ import annotations

import errno
import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from opening.base import paths
from opening.base.atomic import atomic_write_text
from opening.base.choice import Choice
from opening.base.errors import BadInput, OpeningError, describe_os_error
from opening.base.limits import MAX_THREADS_SETTING
from opening.base.settings_file import keep_aside, read_settings_json

log = logging.getLogger(__name__)


@dataclass
class Settings:
    default_model: str | None = None
    scorer_model: str | None = None
    """A smaller GGUF that scores the candidates (``--scorer``; the window's model panel); None: the model."""
    threads: int | None = None
    gpu_layers: int = 0
    use_mmap: bool | None = None
    """None: automatic (read on the CPU, map with GPU offload)."""
    repack: bool = True
    """llama.cpp's CPU weight repacking: faster generation steps, slower batches (docs/models.md, "Loading mode")."""
    # the window's state
    params: dict[str, Any] = field(default_factory=dict)
    """The last sampling parameters (SamplingParams field names)."""
    choice: dict[str, Any] = field(default_factory=dict)
    """How the window chooses (Choice field names: policy, helps_below, save_anyway, judge)."""
    dataset_file: str | None = None
    dataset_format: str | None = None
    auto_save: bool = True
    language: str | None = None
    """``en`` or ``zh``; None follows the system locale."""
    window_geometry: str | None = None
    """Base64 of the window's saved geometry."""
    hf_endpoint: str | None = None
    """A Hugging Face mirror for downloads (the download dialog's field); None: ``HF_ENDPOINT`` or the Hub."""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """The saved settings; defaults for a missing file. A broken one (not JSON, not an object, a value of
        the wrong type) is kept aside first, byte for byte (:mod:`opening.base.settings_file`)."""
        path = path or paths.config_file()
        raw = read_settings_json(path, lambda v: None if isinstance(v, dict) else "not a JSON object")
        if raw is None:
            return cls()
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {}
        wrong = []
        for key, value in raw.items():
            if key in known and _type_ok(key, value):
                values[key] = value
            elif key in known:
                wrong.append(f"{key}={value!r}"[:80])
        if wrong:
            keep_aside(path, "wrong type or range: " + ", ".join(wrong))
        extra = {k: v for k, v in raw.items() if k not in known}
        return cls(**values, extra=extra)

    def choice_params(self) -> Choice:
        """The saved :class:`Choice`; an unknown or bad value is logged and the defaults used."""
        known = {f.name for f in fields(Choice)}
        try:
            choice = Choice(**{k: v for k, v in self.choice.items() if k in known})
            choice.validate()
            return choice
        except (TypeError, BadInput) as exc:
            log.warning("ignoring the saved choice settings %r: %s", self.choice, exc)
            return Choice()

    def save(self, path: Path | None = None) -> None:
        path = path or paths.config_file()
        data = asdict(self)
        data.update(data.pop("extra"))
        try:
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2))
        except OSError as exc:
            raise OpeningError("settings.cannot_save", path=path, reason=describe_os_error(exc)) from None


_TYPES: dict[str, tuple[type, ...]] = {
    "default_model": (str, type(None)),
    "scorer_model": (str, type(None)),
    "threads": (int, type(None)),
    "gpu_layers": (int,),
    "use_mmap": (bool, type(None)),
    "repack": (bool,),
    "params": (dict,),
    "choice": (dict,),
    "dataset_file": (str, type(None)),
    "dataset_format": (str, type(None)),
    "auto_save": (bool,),
    "language": (str, type(None)),
    "window_geometry": (str, type(None)),
}


def _type_ok(key: str, value: Any) -> bool:
    types = _TYPES.get(key)
    if types is None:
        return True
    if isinstance(value, bool) and bool not in types:  # JSON true is not a thread count
        return False
    if key == "threads" and isinstance(value, int) and not 1 <= value <= MAX_THREADS_SETTING:
        return False
    if key == "gpu_layers" and isinstance(value, int) and not -1 <= value <= 100_000:
        return False
    return isinstance(value, types)
