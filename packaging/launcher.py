"""The bundle's entry point (PyInstaller runs this file): the window, ``--self-test``, and the model
check's child (``--probe-model FILE``), all answered by :func:`opening.gui.app.main`."""

import sys

from opening.gui.app import main

if __name__ == "__main__":
    sys.exit(main())
