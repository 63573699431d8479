"""Helpers for the engine's tests: run the CLI as users do, and write submissions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
A01 = "01_gradient_descent"
REFERENCE_01 = ROOT / "solutions" / A01 / "gradient_descent.py"
STUB_01 = ROOT / "assignments" / A01 / "gradient_descent.py"
sys.path.append(str(ROOT / "benchmarks"))  # container.py: Gradescope's container, shared with the benchmarks


# Runs a command, then writes what it and its processes read and their peak memory (RSS of the largest).
# It is their subreaper and waits for them all: the command leaves its zygote (the grader's parent) to end
# by itself, and only a reaped process's reads and peak count.
MEASURED = """
import ctypes, json, os, resource, subprocess, sys

ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
code = subprocess.call(sys.argv[2:])
try:
    while True:
        os.waitpid(-1, 0)
except ChildProcessError:
    pass
io = dict(line.split(": ") for line in open("/proc/self/io").read().splitlines())  # a reaped child's reads count
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
with open(sys.argv[1], "w") as report:
    json.dump({"read": int(io["rchar"]), "peak": peak}, report)
sys.exit(code)
"""


def interruptible() -> None:
    """In a child about to run a command: Ctrl-C interrupts it, as in a terminal, even where the tests
    themselves were started with SIGINT ignored (as a shell starts a background job)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cli(
    *args: str | Path, cwd: Path = ROOT, timeout: float = 300, wrap: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """Run ``autograder ARGS`` in a fresh process, as a user would (through ``wrap``, e.g. ``setpriv``)."""
    return subprocess.run(
        [*wrap, sys.executable, "-m", "autograder", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )


def grade_json(submission: Path, tmp_path: Path, *extra: str, assignment: str = A01) -> dict:
    """Grade through the CLI and return the project's JSON result."""
    out = tmp_path / f"{submission.stem}-result.json"
    done = run_cli("grade", assignment, submission, "--json", out, *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(out.read_text())


def task_scores(result: dict) -> dict[str, tuple[float, float]]:
    return {task["name"]: (task["score"], task["max_score"]) for task in result["tasks"]}


def messages(result: dict, task: str) -> list[str]:
    return [test["message"] for t in result["tasks"] if t["name"] == task for test in t["tests"] if test["message"]]


def with_changes(tmp_path: Path, changes: str, name: str = "gradient_descent.py") -> Path:
    """The reference of 01 with ``changes`` appended (later definitions win)."""
    path = tmp_path / name
    path.write_text(REFERENCE_01.read_text() + "\n\n" + changes)
    return path


@pytest.fixture
def reference_result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return grade_json(REFERENCE_01, tmp_path_factory.mktemp("reference"))


@pytest.fixture(scope="session")
def student_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Assignment 01 as a student unzips it from ``student.zip`` (engine copy included); copy before use."""
    out = tmp_path_factory.mktemp("release")
    done = run_cli("build", A01, "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(out / A01 / "student.zip") as zipped:
        zipped.extractall(out / "unzipped")
    return out / "unzipped" / A01
