"""The PySide6 window: a thin skin over the Qt-free core (``opening``)."""
