"""How often a known-mistake hint is wrong, on one-mistake submissions the banks were not written from.

Grades every submission in ``benchmarks/heldout_mistakes/<assignment>/`` (the reference with
the file's definitions put in place) and prints, per submission, the tasks it lost and the
mistakes named; then the share of named mistakes that are wrong (not listed as the same
mistake in ``mistakes.toml``), the share of submissions that got no hint, and the time spent.

Usage: python benchmarks/hint_accuracy.py [ASSIGNMENT ...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tomllib
from pathlib import Path

from autograder import bank, course
from autograder.grading import grade

HELDOUT = Path(__file__).parent / "heldout_mistakes"


def named_mistakes(assignment: course.Assignment, path: Path) -> tuple[dict[str, str], list[str], float]:
    """(task -> mistake named there, tasks lost, seconds) for the held-out submission at ``path``."""
    with tempfile.TemporaryDirectory() as folder:
        submission = Path(folder) / f"{assignment.module}.py"
        submission.write_text(bank.compose(assignment.reference_file.read_text(), path.read_text()))
        started = time.perf_counter()
        result = grade(assignment, submission)
        seconds = time.perf_counter() - started
    named = {task.name: test.mistake for task in result.tasks for test in task.tests if test.mistake}
    lost = [task.name for task in result.tasks if task.score < task.max_score]
    return named, lost, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: every folder of held-out mistakes)")
    args = parser.parse_args()
    same_as = tomllib.loads((HELDOUT / "mistakes.toml").read_text())["same_as"]
    folders = [HELDOUT / name for name in args.assignments] or sorted(p for p in HELDOUT.iterdir() if p.is_dir())
    hints = wrong = unhinted = submissions = 0
    total_seconds = 0.0
    for folder in folders:
        assignment = course.load(folder.name)
        for path in sorted(folder.glob("*.py")):
            key = f"{folder.name}/{path.stem}"
            named, lost, seconds = named_mistakes(assignment, path)
            bad = {task: name for task, name in named.items() if name not in same_as.get(key, [])}
            submissions, hints, wrong = submissions + 1, hints + len(named), wrong + len(bad)
            unhinted += not named
            total_seconds += seconds
            verdict = "WRONG HINT" if bad else ("right hint" if named else "no hint")
            print(f"{key:<70} {seconds:5.1f} s  {verdict:<10}  lost {', '.join(lost) or 'nothing'}")
            for task, name in named.items():
                print(f"    {task}: {name}{'  <- wrong' if task in bad else ''}")
    print(f"\n{submissions} submissions, {hints} hints named a mistake")
    print(f"wrong hints: {wrong}/{hints} ({100 * wrong / max(hints, 1):.0f} %)")
    print(f"submissions without a hint: {unhinted}/{submissions} ({100 * unhinted / max(submissions, 1):.0f} %)")
    print(f"grading time: {total_seconds:.0f} s in all")


if __name__ == "__main__":
    main()
