"""The PySide6 window: a thin skin over the Qt-free core. Widgets, dialogs, the engine thread, and
``operations`` (one small function per user action: the core call and the message it shows).

The only package that imports Qt (import-linter contract).
"""
