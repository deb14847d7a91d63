"""From a text to a chosen pair: check the request, build the reverse prompts, generate, clean and
filter the candidates, score and rank them, and describe the run (one :class:`~opening.pipeline.run.Outcome`).

Sits on top of ``opening.llama``, ``opening.models`` and ``opening.data``; the CLI and the window call it.
"""
