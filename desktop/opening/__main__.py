import sys

from opening.cli.main import main

sys.exit(main())
