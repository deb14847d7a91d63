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
