"""What every layer may import: the errors that carry the user's message, the user folder, the settings
file, sampling parameters and the engine's size limits, crash-safe writes and path checks at the edge.

May import: the standard library, ``platformdirs``, ``filelock``. Nothing else of ``opening``.
"""
