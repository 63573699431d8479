"""How fast ``autograder grade-all`` grades a class, against one ``autograder grade`` per submission.

Builds COUNT submissions (the reference, the bank's correct variants and its known mistakes, in
turn), grades them with ``grade-all --jobs JOBS`` and prints: the wall time; the peak memory of
the whole batch and per worker (by proportional set size: the batch less its parent process,
over JOBS; the workers and their sandboxes are forked from one zygote, whose pages they share,
so a worker is its grader, its sandbox and its share of the zygote); per-submission
medians and where a worker's time goes (sandbox start, calls, checks, hints); and the time of
SAMPLE sequential ``autograder grade`` runs, extrapolated to COUNT, with the ratio.

Usage: python benchmarks/batch_grading.py [ASSIGNMENT] [--count 200] [--jobs 2] [--sample 10]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from autograder import bank, course


def build_class(assignment: course.Assignment, folder: Path, count: int) -> dict[Path, str]:
    """``count`` submissions: the reference, then each bank entry, over and over; each path with what it is."""
    entries = bank.entries(assignment)
    sources = [("reference", assignment.reference_file.read_text())] + [(e.name, e.source(assignment)) for e in entries]
    paths = {}
    for number, (name, source) in zip(range(count), itertools.cycle(sources), strict=False):
        path = folder / f"student{number:04d}.py"
        path.write_text(source)
        paths[path] = name
    return paths


def process_tree() -> dict[int, list[int]]:
    """Children of every process, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return children


def memory(pid: int) -> int:
    """Proportional set size in bytes: pages shared by forked processes are counted once in a sum."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) * 1024 for line in lines if line.startswith("Pss:")), 0)


def descendants(pid: int, tree: dict[int, list[int]]) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += tree.get(current, [])
    return found


class MemoryWatch(threading.Thread):
    """Samples the memory of a command's processes: in total, and per worker."""

    def __init__(self, pid: int, jobs: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.jobs, self.total, self.per_worker, self.done = pid, jobs, 0, 0.0, False

    def run(self) -> None:
        while not self.done:
            total = sum(memory(p) for p in descendants(self.pid, process_tree()))
            self.total = max(self.total, total)
            self.per_worker = max(self.per_worker, (total - memory(self.pid)) / self.jobs)
            time.sleep(0.2)


def grade_all(assignment: str, submissions: Path, out: Path, jobs: int) -> tuple[float, MemoryWatch]:
    command = [sys.executable, "-m", "autograder", "grade-all", assignment, str(submissions), "--out", str(out)]
    started = time.perf_counter()
    process = subprocess.Popen([*command, "--jobs", str(jobs)], stdout=subprocess.DEVNULL)
    watch = MemoryWatch(process.pid, jobs)
    watch.start()
    if process.wait() != 0:
        raise SystemExit("grade-all failed")
    watch.done = True
    return time.perf_counter() - started, watch


def sequential(assignment: str, paths: list[Path]) -> float:
    """Median wall time of one ``autograder grade`` command."""
    times = []
    for path in paths:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, str(path)], capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignment", nargs="?", default="01_gradient_descent")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, default=10, help="sequential `grade` runs to extrapolate from")
    args = parser.parse_args()
    assignment = course.load(args.assignment)
    with tempfile.TemporaryDirectory() as folder:
        submissions = Path(folder) / "submissions"
        submissions.mkdir()
        paths = build_class(assignment, submissions, args.count)
        wall, memory = grade_all(args.assignment, submissions, Path(folder) / "out", args.jobs)
        records = [json.loads(p.read_text()) for p in (Path(folder) / "out" / "results").glob("*.json")]
        one = sequential(args.assignment, list(paths)[: args.sample])
    errors = [r["key"] for r in records if r["error"]]
    print(f"{args.assignment}: {len(records)} submissions graded by grade-all --jobs {args.jobs} in {wall:.1f} s")
    print(f"  {wall / len(records):.2f} s per submission on the whole; {len(errors)} could not be graded")
    print(f"  peak memory: {memory.total / 2**20:.0f} MB in all, {memory.per_worker / 2**20:.0f} MB per worker")
    seconds = [r["seconds"] for r in records]
    middle, mean = statistics.median(seconds), statistics.mean(seconds)
    print(f"  per submission in a worker: median {middle:.2f} s, mean {mean:.2f} s")
    kinds = {path.name: name for path, name in paths.items()}
    slowest = sorted(records, key=lambda r: -r["seconds"])[:5]
    print("  slowest: " + ", ".join(f"{kinds.get(r['source'], r['source'])} {r['seconds']:.1f} s" for r in slowest))
    print("  median of where a worker's time goes:")
    for part in ("load", "sandbox_start", "calls", "checks", "hints"):
        print(f"    {part:14} {statistics.median(r['timings'].get(part, 0.0) for r in records if r['timings']):.3f} s")
    extrapolated = one * len(records)
    print(
        f"sequential `autograder grade`: median {one:.2f} s over {args.sample} runs, "
        f"so about {extrapolated:.0f} s for {len(records)} (extrapolated): {extrapolated / wall:.1f}x slower"
    )


if __name__ == "__main__":
    main()
