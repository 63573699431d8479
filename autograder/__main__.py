"""``python -m autograder``: the ``autograder`` command (see ``cli.py``)."""

import sys

from autograder.cli import main

if __name__ == "__main__":
    sys.exit(main())
