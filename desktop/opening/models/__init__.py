"""Model files without llama.cpp: the GGUF header reader and its sanity checks, the memory-fit estimate,
the catalog, the user's registry of models, which model a run uses, Hub downloads, file hashes.

May import ``opening.base`` only; never ``llama_cpp`` or Qt.
"""
