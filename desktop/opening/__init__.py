"""OpenING Desktop: reverse instruction generation with local GGUF models.

The package is the Qt-free core (templates, engine, models, settings, CLI); ``opening.gui`` is the
PySide6 skin on top of it.
"""

__version__ = "0.1.0"
