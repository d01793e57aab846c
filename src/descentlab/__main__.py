"""``python -m descentlab``: the same as the ``descentlab`` command."""

import sys

from descentlab.cli import main

if __name__ == "__main__":
    sys.exit(main())
