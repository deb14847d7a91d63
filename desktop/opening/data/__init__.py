"""Pairs on disk: pair records and their formats, dataset files (locked, journalled splices that never
rewrite what is already there), and review state (the pick, the edit, the one saved copy).

May import ``opening.base`` only; never ``llama_cpp`` or Qt.
"""
