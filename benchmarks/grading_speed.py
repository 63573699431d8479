"""How long grading takes, and what the warm zygote saves.

Prints medians of:
- a whole `autograder grade` command (cold: a new process, torch imported twice);
- one grading in a process that has graded before (warm: the zygote is reused);
- starting a sandbox by forking the zygote, against starting a fresh Python that imports
  torch (what a process per submission would pay), and their ratio.

Usage: python benchmarks/grading_speed.py [ASSIGNMENT] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from autograder import course
from autograder.grading import grade
from autograder.sandbox.client import Limits, Sandbox


def timed(action: Callable[[], object], runs: int) -> float:
    """Median wall time of ``action()`` over ``runs`` runs."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignment", nargs="?", default="01_gradient_descent")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    assignment = course.load(args.assignment)
    reference = assignment.reference_file

    cold = timed(
        lambda: subprocess.run(
            [sys.executable, "-m", "autograder", "grade", assignment.id, str(reference)],
            capture_output=True,
            check=True,
        ),
        args.runs,
    )
    grade(assignment, reference)  # warm up: zygote started, tests imported
    warm = timed(lambda: grade(assignment, reference), args.runs)

    with tempfile.TemporaryDirectory() as folder:
        module = Path(folder) / f"{assignment.module}.py"
        module.write_text(reference.read_text())
        fork = timed(lambda: Sandbox(module, None, Limits()).close(), args.runs * 4)
    fresh = timed(lambda: subprocess.run([sys.executable, "-c", "import torch"], check=True), args.runs)

    print(f"assignment                         {assignment.id}")
    print(f"cold `autograder grade` (median)   {cold:6.2f} s")
    print(f"warm grading in-process (median)   {warm:6.2f} s")
    print(f"sandbox from the zygote (median)   {fork * 1000:6.1f} ms")
    print(f"fresh python importing torch       {fresh * 1000:6.1f} ms")
    print(f"zygote fork is {fresh / fork:5.1f}x faster than a fresh process per submission")


if __name__ == "__main__":
    main()
