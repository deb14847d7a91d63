"""``python -m opening_train``: the same as the ``opening-train`` command."""

import sys

from opening_train.cli import main

sys.exit(main())
