"""The ``opening`` command line (``generate``, ``models``, ``gui``) and the helpers every console script
shares: one error-to-exit-code mapping, one logging set-up, one terminal progress writer.

Calls ``opening.pipeline`` and the layers below it; imports ``opening.gui`` only to open the window.
"""

from opening.cli.main import main

__all__ = ["main"]
