"""Everything that touches llama.cpp: backend set-up (log routing, GPU query, threads, the load-mode
rule), the loaded model and its tokenizer, contexts, the N-candidate engine, teacher-forced scoring,
streamed text, chat-template rendering, and the child-process load check.

The only package that imports ``llama_cpp`` (import-linter contract). May import ``opening.base`` and
``opening.models`` (a file is vetted there before llama.cpp sees it). Importing this package itself
loads nothing: ``llama_cpp`` is imported by the modules that need it.
"""
