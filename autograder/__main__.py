"""The ``autograder`` command's entry point.

For commands that grade, the zygote (which imports torch for the sandboxes) starts before
anything heavy is imported here, so the two imports of torch overlap.
"""

import sys

from autograder.sandbox.launcher import shared_zygote

GRADING_COMMANDS = {"grade", "demo"}


def main() -> int:
    if GRADING_COMMANDS.intersection(sys.argv[1:]):
        shared_zygote()
    from autograder.cli import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
