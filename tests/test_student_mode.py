"""`pytest` in an unzipped student release, as a student runs it: one line per task, hints, no walls of text."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import A01, REFERENCE_01, interruptible


@pytest.fixture
def folder(student_release, tmp_path):
    """A fresh copy of the unzipped release of assignment 01."""
    return shutil.copytree(student_release, tmp_path / A01)


def run_pytest(folder, *args, **options):
    command = [sys.executable, "-m", "pytest", *args]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, env=student_env(), **options)


def student_env():
    return {key: value for key, value in os.environ.items() if key != "AUTOGRADER_SUBMISSION"}


def task_lines(output):
    return [line for line in output.splitlines() if line.startswith(("✓", "✗"))]


def line_of(output, task):
    return next(line for line in task_lines(output) if f" {task} " in line)


def write_reference_with(folder, old, new):
    source = REFERENCE_01.read_text()
    assert old in source
    (folder / "gradient_descent.py").write_text(source.replace(old, new))


def test_untouched_stub_fails_every_task_with_a_guiding_line_and_counts_no_pass(folder):
    done = run_pytest(folder)
    assert done.returncode == 1
    lines = task_lines(done.stdout)
    assert len(lines) == 7 and all(line.startswith("✗") and "not implemented yet" in line for line in lines)
    assert "Traceback" not in done.stdout and "site-packages" not in done.stdout
    assert " passed" not in done.stdout.splitlines()[-1], "a rule must not count as a pass on a stub"


def test_correct_solution_passes_every_public_test(folder):
    shutil.copy(REFERENCE_01, folder / "gradient_descent.py")
    done = run_pytest(folder)
    assert done.returncode == 0, done.stdout
    lines = task_lines(done.stdout)
    assert len(lines) == 7 and all(line.startswith("✓") for line in lines)
    assert "public tests: 17/17 points" in done.stdout


def test_a_mistake_gets_a_hint_and_a_task_using_it_says_to_fix_it_first(folder):
    write_reference_with(folder, "return squared_diffs.mean()", "return squared_diffs.sum()")
    done = run_pytest(folder, "--tb=short")
    assert line_of(done.stdout, "loss_fn").startswith("✗")
    assert "wrong values" in line_of(done.stdout, "loss_fn") and "same factor" in line_of(done.stdout, "loss_fn")
    training = line_of(done.stdout, "training_loop")
    assert training.endswith("training_loop uses loss_fn, which fails its own tests: fix loss_fn first")
    assert "expected" in done.stdout and "got" in done.stdout, "--tb=short shows the values"


def test_a_broken_rule_shows_in_the_task_line(folder):
    line = "    dloss_dyhat = dloss_fn(y_hat, y)\n"
    write_reference_with(folder, line, line + "    torch.autograd.grad\n")
    done = run_pytest(folder)
    assert done.returncode == 1
    grad_line = line_of(done.stdout, "grad_fn")
    assert grad_line.startswith("✗") and "0/4" in grad_line and "torch.autograd" in grad_line


def test_an_endless_loop_ends_with_did_not_finish_even_when_it_catches_exceptions(folder):
    loop = "    while True:\n        try:\n            x = x + 0\n        except Exception:\n            pass\n"
    write_reference_with(folder, "    return 1.0\n", loop)  # dmodel_db
    done = run_pytest(folder, "-k", "dmodel_db", timeout=120)
    assert done.returncode == 1
    line = line_of(done.stdout, "dmodel_db")
    assert line.startswith("✗ dmodel_db") and "0/1" in line and "dmodel_db did not finish within 10 s (line" in line


def test_ctrl_c_in_a_hanging_task_never_reports_a_pass(folder):
    started = folder / "started"
    hang = f"    open({str(started)!r}, 'w').close()\n    while True:\n        pass\n"
    write_reference_with(folder, "    return w * x + b\n", hang)  # model, the first task
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest"],
        cwd=folder,
        stdout=subprocess.PIPE,
        text=True,
        env=student_env(),
        preexec_fn=interruptible,
    )
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    run.send_signal(signal.SIGINT)
    output, _ = run.communicate(timeout=60)
    assert started.exists() and "KeyboardInterrupt" in output
    lines = task_lines(output)
    assert len(lines) == 7 and all(line.startswith("✗") and "the run was stopped" in line for line in lines)
    assert "no total" in output and "points" not in output


def test_pdb_and_short_tracebacks_land_in_the_students_code(folder):
    write_reference_with(
        folder,
        "    return squared_diffs.mean()\n",
        "    return average(squared_diffs)\n\n\ndef average(values):\n    raise ValueError('oops')\n",
    )
    raising_line = (folder / "gradient_descent.py").read_text().splitlines().index("    raise ValueError('oops')") + 1
    debugged = run_pytest(folder, "--pdb", "-k", "mean_squared_error", input="where\nq\n", timeout=120)
    current = next(line for line in debugged.stdout.splitlines() if line.startswith("> "))
    assert current.endswith(f"gradient_descent.py({raising_line})average()"), debugged.stdout
    short = run_pytest(folder, "--tb=short", "-k", "mean_squared_error")
    frames = [line for line in short.stdout.splitlines() if ".py:" in line and ": in " in line]
    assert frames[-1] == f"gradient_descent.py:{raising_line}: in average", short.stdout
    assert not any("autograder" in frame for frame in frames), "engine frames are hidden"
    assert task_lines(short.stdout) == [
        f"✗ loss_fn                0/2  average raised ValueError: oops (line {raising_line} of your file)"
    ], "-k shows the selected tasks only"
    assert "public tests of the selected tasks: 0/2 points" in short.stdout
