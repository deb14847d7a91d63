from __future__ import annotations

from pathlib import Path

import pytest

from opening.base.errors import ModelError
from opening.models.resolve import resolve_model
from opening.base.settings import Settings


def test_order_argument_env_settings_embedded(tmp_path: Path, smol_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = (tmp_path / n for n in ("a.gguf", "b.gguf", "c.gguf"))
    for p in (a, b, c):
        p.write_bytes(b"GGUF")
    settings = Settings(default_model=str(c))
    monkeypatch.setenv("OPENING_MODEL", str(b))
    assert resolve_model(str(a), settings).path == a
    assert resolve_model(None, settings).source == "OPENING_MODEL"
    monkeypatch.delenv("OPENING_MODEL")
    assert resolve_model(None, settings).path == c
    resolved = resolve_model(None, Settings())
    assert resolved.source == "embedded" and resolved.path == smol_path


def test_settings_default_is_read_from_the_user_folder(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    Settings(default_model=str(model)).save()
    assert resolve_model(None).path == model


def test_named_but_missing_model_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="settings"):
        resolve_model(None, Settings(default_model=str(tmp_path / "gone.gguf")))


def test_unreadable_settings_file_falls_back_to_defaults(_user_home: Path) -> None:
    (_user_home / "config.json").write_text("{not json", encoding="utf-8")
    assert Settings.load() == Settings()
