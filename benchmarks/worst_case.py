"""What the worst submissions cost: every known mistake and every hostile shape, graded as users grade.

For each assignment, grades with ``autograder grade`` (a new process each) every mistake of
its bank (``solutions/<id>/bank/wrong/``), the untouched stub, an import that hangs (an
endless loop, ended by the import's time limit), an import that ends the process, and a
submission whose every task sleeps until its call's time limit, and one whose every task loops
(burning CPU) until then. Prints for each:

- ``cpu``: CPU seconds of the whole grading (the grader, its zygote and every sandbox), as
  ``getrusage(RUSAGE_CHILDREN)`` deltas (see ``measure.py``);
- ``wall``: seconds until ``autograder grade`` exits;
- ``hints``: the share of the grading (its JSON's ``execution_time``) spent in the hint search
  (its ``hint_seconds``);
- ``!`` after a figure over its target: 60 s of CPU, 25 % in hints.

Usage: python benchmarks/worst_case.py [ASSIGNMENT ...] [--no-bank] [--no-hostile]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from measure import run

from autograder import bank, course

MAX_CPU_SECONDS, MAX_HINT_SHARE = 60.0, 0.25


def hostile(assignment: course.Assignment) -> dict[str, str]:
    """The stub and the shapes no bank holds, as module sources by name."""
    reference = assignment.reference_file.read_text()
    sleepers = "import time\n" + "".join(
        f"\n\ndef {name}(*args, **kwargs):\n    time.sleep(10**6)\n" for name in assignment.task_names
    )
    spinners = "".join(
        f"\n\ndef {name}(*args, **kwargs):\n    while True:\n        pass\n" for name in assignment.task_names
    )
    return {
        "(the stub)": assignment.stub_file.read_text(),
        "(an import that hangs)": "while True:\n    pass\n",
        "(an import that exits)": "import os\n\nos._exit(3)\n",
        "(every call sleeps)": bank.compose(reference, sleepers),
        "(every call loops)": bank.compose(reference, spinners),
    }


def submissions(assignment: course.Assignment, with_bank: bool, with_hostile: bool) -> dict[str, str]:
    mistakes = [entry for entry in bank.entries(assignment) if entry.kind == "wrong"] if with_bank else []
    return {entry.name: entry.source(assignment) for entry in mistakes} | (hostile(assignment) if with_hostile else {})


def measure(assignment: course.Assignment, source: str, folder: Path) -> tuple[float, float, dict]:
    """(CPU seconds, wall seconds, JSON result) of ``autograder grade`` on ``source``."""
    path, out = folder / f"{assignment.module}.py", folder / "result.json"
    path.write_text(source)
    out.unlink(missing_ok=True)
    wall, cpu, _ = run([sys.executable, "-m", "autograder", "grade", assignment.id, str(path), "--json", str(out)])
    return cpu, wall, json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--no-bank", action="store_true", help="leave out the bank's mistakes")
    parser.add_argument("--no-hostile", action="store_true", help="leave out the stub and the hostile submissions")
    args = parser.parse_args()
    assignments = [course.load(name) for name in args.assignments] or course.all_assignments()
    print(f"{'assignment':<20} {'submission':<48} {'score':>9} {'cpu s':>7} {'wall s':>7} {'hints':>7}")
    flagged: list[str] = []
    most_cpu: dict[str, tuple[float, str]] = {}
    most_hints: dict[str, tuple[float, str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-worst-") as folder:
        for assignment in assignments:
            for name, source in submissions(assignment, not args.no_bank, not args.no_hostile).items():
                cpu, wall, result = measure(assignment, source, Path(folder))
                share = result["hint_seconds"] / max(result["execution_time"], 1e-9)
                over = [
                    mark for mark, bad in (("cpu", cpu > MAX_CPU_SECONDS), ("hints", share > MAX_HINT_SHARE)) if bad
                ]
                score = f"{result['score']:g}/{result['max_score']:g}"
                print(
                    f"{assignment.id:<20} {name:<48} {score:>9} {cpu:6.1f}{'!' if 'cpu' in over else ' '}"
                    f" {wall:7.1f} {100 * share:5.1f}%{'!' if 'hints' in over else ''}",
                    flush=True,
                )
                flagged += [f"{assignment.id} {name}: {', '.join(over)}"] if over else []
                most_cpu[assignment.id] = max(most_cpu.get(assignment.id, (0.0, "")), (cpu, name))
                most_hints[assignment.id] = max(most_hints.get(assignment.id, (0.0, "")), (share, name))
    print()
    for assignment_id, (cpu, name) in most_cpu.items():
        share, hinted = most_hints[assignment_id]
        print(f"{assignment_id:<20} most CPU {cpu:5.1f} s ({name}); most in hints {100 * share:4.1f} % ({hinted})")
    print(f"over {MAX_CPU_SECONDS:g} s of CPU or {100 * MAX_HINT_SHARE:g} % in hints: {', '.join(flagged) or 'none'}")


if __name__ == "__main__":
    main()
