"""Wall and CPU seconds of a command and of every process it leaves behind (the benchmarks' one clock).

The CPU seconds are ``getrusage(RUSAGE_CHILDREN)`` deltas. A grading's zygote outlives the
grader, which does not wait for it; this process is a child subreaper, so the zygote is
reparented here and waited for, and the zygote waits for its sandboxes: the grader, the
zygote and every sandbox are counted. CPU seconds hold on a loaded machine better than wall
seconds, which load stretches.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import subprocess
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
_subreaper = False


def run(command: list[str], cwd: Path | None = None, patience: float = 60.0) -> tuple[float, float, str]:
    """(wall seconds until ``command`` exits, CPU seconds of it and its orphans, its output); it must succeed."""
    global _subreaper
    if not _subreaper:
        if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise SystemExit("cannot become a child subreaper: the CPU of a grading's zygote could not be counted")
        _subreaper = True
    own, cpu, started = children(), children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    wait_for_orphans(own, patience)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return wall, children_cpu() - cpu, done.stdout


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def children() -> set[int]:
    """This process's children, zombies too (from /proc)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError, StopIteration):
            lines = status.read_text().splitlines()
            if int(next(line for line in lines if line.startswith("PPid:")).split()[1]) == os.getpid():
                found.add(int(status.parent.name))
    return found


def wait_for_orphans(own: set[int], patience: float) -> None:
    """Wait for the processes reparented here (the zygote, a sandbox whose parent died) to end;
    ``own`` are children of this process's own (a zygote of its own gradings), left alone."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        orphans = children() - own
        if not orphans:
            return
        for pid in orphans:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.02)
    print(f"(processes of a command still ran {patience:g} s after it: their CPU is not counted)")
