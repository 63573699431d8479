"""The ``autograder`` command's entry point.

For commands that grade, the zygote (which imports torch for the sandboxes) starts before
anything heavy is imported here, so the two imports of torch overlap.
"""

import atexit
import os
import sys

from autograder.sandbox.launcher import shared_zygote

GRADING_COMMANDS = {"grade", "demo"}


def main() -> int:
    grading = bool(GRADING_COMMANDS.intersection(sys.argv[1:]))
    if grading:
        shared_zygote()
    from autograder.cli import main as run

    code = run()
    if grading:
        leave_now(code)
    return code


def leave_now(code: int) -> None:
    """Exit as soon as the outputs are written: tearing down torch's modules takes long and serves no one."""
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()  # what was registered to run at exit (the zygote's close) still runs
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
