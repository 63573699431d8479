"""Peak memory and time of a whole grading (grader, zygote and sandboxes together), per assignment.

For each assignment, grades its reference and a memory-hungry submission (the reference
with its first function replaced by one that hoards memory until refused) with
``autograder grade`` and prints the score, the wall time and the peak memory. As root, each
grading runs in a fresh control group shaped like Gradescope's default container (768 MB,
half a CPU; ``benchmarks/container.py``): the peak is the group's, page cache included, and
the kernel's OOM kills in it are counted (there must be none). Otherwise the grading runs
unconfined and the peak is the largest resident size (VmHWM) of one of its processes.

Usage: python benchmarks/memory.py [ASSIGNMENT ...] [--memory-mb 768] [--cpus 0.5]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from container import CPUS, MEMORY_BYTES, Container, NoContainer, container

from autograder import course

HOARD = """

def {name}(*args, **kwargs):
    hoard = []
    while True:
        hoard.append(torch.ones(16 * 2**20))
"""


def memory_hungry(assignment: course.Assignment, folder: Path) -> Path:
    """The reference with its first function replaced by one that hoards memory."""
    source = assignment.reference_file.read_text()
    first = next(node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef))
    path = folder / assignment.reference_file.name
    path.write_text(source + "\n\nimport torch\n" + HOARD.format(name=first))
    return path


def grading(assignment: course.Assignment, submission: Path, box: Container | None, folder: Path) -> str:
    """One ``autograder grade`` of ``submission`` (in ``box`` if given), as a row of figures."""
    result = folder / "result.json"
    command = [sys.executable, "-m", "autograder", "grade", assignment.id, str(submission), "--json", str(result)]
    start = time.perf_counter()
    child = subprocess.Popen([*(box.wrap() if box else ()), *command], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    graded = json.loads(result.read_text()) if os.waitstatus_to_exitcode(status) == 0 else None
    result.unlink(missing_ok=True)
    score = f"{graded['score']:g}/{graded['max_score']:g}" if graded else f"exit {os.waitstatus_to_exitcode(status)}"
    peak = box.peak_bytes() if box else usage.ru_maxrss * 1024
    kills = str(box.oom_kills()) if box else "-"
    return f"{score:>9} {seconds:>7.1f} s {peak / 2**20:>7.0f} MB {kills:>9}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--memory-mb", type=int, default=MEMORY_BYTES // 2**20, help="the container's memory")
    parser.add_argument("--cpus", type=float, default=CPUS, help="the container's CPU quota, in CPUs")
    args = parser.parse_args()
    assignments = [course.load(name) for name in args.assignments] or course.all_assignments()
    limits = (args.memory_mb * 2**20, args.cpus)
    try:
        with container(*limits):
            confined = True
        print(f"in a container of {args.memory_mb} MB and {args.cpus:g} CPU; the peak is its control group's")
    except NoContainer as error:
        confined = False
        print(f"unconfined ({error}); the peak is the largest resident size of one process")
    print(f"{'assignment':<22} {'submission':<14} {'score':>9} {'time':>9} {'peak':>10} {'OOM kills':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for assignment in assignments:
            hungry = memory_hungry(assignment, Path(folder))
            for label, submission in {"reference": assignment.reference_file, "memory-hungry": hungry}.items():
                with container(*limits) if confined else contextlib.nullcontext() as box:
                    row = grading(assignment, submission, box, Path(folder))
                print(f"{assignment.id:<22} {label:<14} {row}", flush=True)


if __name__ == "__main__":
    main()
