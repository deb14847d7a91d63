"""Where the user's files live: ``OPENING_HOME`` if set, else the platform's user data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "OpeningDesktop"


def user_dir() -> Path:
    """The user folder (contract): platformdirs user data dir, overridden by ``OPENING_HOME``."""
    home = os.environ.get("OPENING_HOME")
    base = Path(home).expanduser() if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return base


def config_file() -> Path:
    return user_dir() / "config.json"


def models_dir() -> Path:
    return user_dir() / "models"


def datasets_dir() -> Path:
    return user_dir() / "datasets"


def cache_dir() -> Path:
    return user_dir() / "cache"


def log_dir() -> Path:
    """The window's log folder: platformdirs' user log dir (``OPENING_HOME/logs`` when that is set)."""
    home = os.environ.get("OPENING_HOME")
    return Path(home).expanduser() / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def bundle_dir() -> Path | None:
    """The folder of a frozen one-folder bundle's files (PyInstaller's ``_internal``); None from source."""
    import sys

    base = getattr(sys, "_MEIPASS", None)
    return Path(base) if getattr(sys, "frozen", False) and base else None
