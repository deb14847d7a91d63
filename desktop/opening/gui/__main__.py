import sys

from opening.gui.app import main

sys.exit(main())
