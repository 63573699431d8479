"""Peak memory of a whole grading (grader, zygote and sandboxes together), per assignment.

For each assignment, grades its reference and a memory-hungry submission (the reference
with its first function replaced by one that hoards memory until refused) with
``autograder grade`` and prints the peak. As root, each grading runs in a fresh memory
cgroup and the peak is its ``memory.max_usage_in_bytes`` (v1) or ``memory.peak`` (v2);
otherwise it is the largest peak resident size (VmHWM) of one process of the grading.
Gradescope's default container has 768 MB.

Usage: python benchmarks/memory.py [ASSIGNMENT ...]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def new_cgroup() -> tuple[Path, str] | None:
    """A fresh memory cgroup and the name of its peak file, when this process may make one."""
    kinds = [
        (Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes", "memory.max_usage_in_bytes"),
        (Path("/sys/fs/cgroup"), "cgroup.controllers", "memory.peak"),
    ]
    for base, marker, peak in kinds:
        if not (base / marker).exists():
            continue
        group = base / f"autograder-memory-{os.getpid()}-{time.monotonic_ns()}"
        with contextlib.suppress(OSError):
            group.mkdir()
            return group, peak
    return None


def peak_of_grading(assignment: course.Assignment, submission: Path) -> tuple[int, str]:
    """Peak bytes of ``autograder grade`` on ``submission``, and how they were measured."""
    command = [sys.executable, "-m", "autograder", "grade", assignment.id, str(submission)]
    cgroup = new_cgroup()
    if cgroup is None:
        subprocess.run(command, capture_output=True, check=False)
        return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, "largest process VmHWM"
    group, peak_file = cgroup
    enter = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(group)]
    subprocess.run(enter + command, capture_output=True, check=False)
    peak = int((group / peak_file).read_text())
    for _ in range(50):  # the zygote leaves a moment after the grader
        with contextlib.suppress(OSError):
            group.rmdir()
            break
        time.sleep(0.1)
    return peak, "cgroup peak"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    args = parser.parse_args()
    assignments = [course.load(name) for name in args.assignments] or course.all_assignments()
    print(f"{'assignment':<24} {'reference':>12} {'memory-hungry':>14}  measured as")
    with tempfile.TemporaryDirectory() as folder:
        for assignment in assignments:
            reference, how = peak_of_grading(assignment, assignment.reference_file)
            hungry, _ = peak_of_grading(assignment, memory_hungry(assignment, Path(folder)))
            print(f"{assignment.id:<24} {reference / 2**20:>9.0f} MB {hungry / 2**20:>11.0f} MB  {how}")


if __name__ == "__main__":
    main()
