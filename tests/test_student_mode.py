"""`pytest` in an assignment folder, as a student runs it: one line per task, hints, no walls of text."""

import os
import shutil
import subprocess
import sys

from conftest import A01, REFERENCE_01, ROOT


def student_folder(tmp_path):
    folder = tmp_path / A01
    shutil.copytree(ROOT / "assignments" / A01, folder)
    return folder


def run_pytest(folder, *args):
    env = {key: value for key, value in os.environ.items() if key != "AUTOGRADER_SUBMISSION"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args], cwd=folder, capture_output=True, text=True, env=env, timeout=300
    )


def task_lines(output):
    return [line for line in output.splitlines() if line.startswith(("✓", "✗"))]


def test_untouched_stub_fails_every_task_with_a_guiding_line(tmp_path):
    done = run_pytest(student_folder(tmp_path))
    assert done.returncode == 1
    lines = task_lines(done.stdout)
    assert len(lines) == 7 and all(line.startswith("✗") and "not implemented yet" in line for line in lines)
    assert "Traceback" not in done.stdout and "site-packages" not in done.stdout


def test_correct_solution_passes_every_public_test(tmp_path):
    folder = student_folder(tmp_path)
    shutil.copy(REFERENCE_01, folder / "gradient_descent.py")
    done = run_pytest(folder)
    assert done.returncode == 0, done.stdout
    lines = task_lines(done.stdout)
    assert len(lines) == 7 and all(line.startswith("✓") for line in lines)
    assert "public tests: 17/17 points" in done.stdout


def test_a_mistake_gets_a_hint_with_the_values(tmp_path):
    folder = student_folder(tmp_path)
    wrong = REFERENCE_01.read_text().replace("return squared_diffs.mean()", "return squared_diffs.sum()")
    (folder / "gradient_descent.py").write_text(wrong)
    done = run_pytest(folder)
    loss_line = next(line for line in task_lines(done.stdout) if " loss_fn " in line)
    assert loss_line.startswith("✗") and "wrong values" in loss_line and "same factor" in loss_line
    full = run_pytest(folder, "--tb=short", "-k", "mean_squared_error")
    assert "expected" in full.stdout and "got" in full.stdout


def test_a_broken_rule_shows_in_the_task_line(tmp_path):
    folder = student_folder(tmp_path)
    cheat = REFERENCE_01.read_text().replace(
        "    dloss_dyhat = dloss_fn(y_hat, y)\n", "    dloss_dyhat = dloss_fn(y_hat, y)\n    torch.autograd.grad\n"
    )
    (folder / "gradient_descent.py").write_text(cheat)
    done = run_pytest(folder)
    grad_line = next(line for line in task_lines(done.stdout) if " grad_fn " in line)
    assert grad_line.startswith("✗") and "0/4" in grad_line and "torch.autograd" in grad_line
