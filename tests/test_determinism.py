"""A grading does not depend on the torch thread count, leaves no file behind and replays nothing."""

import json
import os
import subprocess
import sys

from conftest import A01, ROOT

from autograder import bank, course


def grade_in(folder, submission, out, threads: int) -> dict:
    """Grade from ``folder`` as a user would, with torch free to use ``threads`` threads."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "--course", ROOT, "grade", A01, submission, "--json", out],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((folder / out).read_text())
    assert 0 < result.pop("hint_seconds") < result.pop("execution_time")  # timings are reported, not compared
    return result


def test_gradings_on_one_and_two_threads_agree_and_leave_only_their_outputs(tmp_path):
    assignment = course.load(A01, ROOT)
    entry = next(e for e in bank.entries(assignment) if e.name == "training_loop_records_loss_after_update")
    (tmp_path / "submission").mkdir()
    submission = entry.write(assignment, tmp_path / "submission")
    folder = tmp_path / "fresh"
    folder.mkdir()
    one = grade_in(folder, submission, "one.json", threads=1)
    two = grade_in(folder, submission, "two.json", threads=2)
    assert one == two
    assert any(test["mistake"] == entry.name for task in one["tasks"] for test in task["tests"])
    assert sorted(path.name for path in folder.iterdir()) == ["one.json", "two.json"]
