"""`autograder validate` proves every assignment's tests sound, and catches a test that lets a mistake through."""

import shutil

from conftest import A01, ROOT, run_cli


def test_every_assignment_validates():
    done = run_cli("validate", "--all", timeout=1500)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    assert " 0 missed" in done.stdout


def small_course(tmp_path, wrong_entries):
    """A copy of 01 whose bank keeps only ``wrong_entries`` (validation of it is quick)."""
    shutil.copytree(ROOT / "assignments" / A01, tmp_path / "assignments" / A01)
    shutil.copytree(ROOT / "solutions" / A01, tmp_path / "solutions" / A01)
    bank = tmp_path / "solutions" / A01 / "bank"
    for path in (bank / "wrong").glob("*.py"):
        if path.stem not in wrong_entries:
            path.unlink()
    return tmp_path


def test_a_mistake_that_the_tests_let_through_is_a_miss(tmp_path):
    course = small_course(tmp_path, {"grad_fn_sums"})
    # A "mistake" that is in fact correct: no test can catch it, so validation must say so.
    (course / "solutions" / A01 / "bank" / "wrong" / "grad_fn_sums.py").write_text(
        "def grad_fn(x, y, y_hat, w, b):\n"
        "    d = dloss_fn(y_hat, y)\n"
        "    return torch.stack([(d * dmodel_dw(x, w, b)).mean(), (d * dmodel_db(x, w, b)).mean()])\n"
    )
    done = run_cli("--course", course, "validate", A01)
    assert done.returncode == 1
    assert "grad_fn kept" in done.stdout and "MISS" in done.stdout


def test_a_test_that_fails_the_reference_is_a_miss(tmp_path):
    course = small_course(tmp_path, {"grad_fn_sums"})
    hidden = course / "solutions" / A01 / "test_hidden.py"
    hidden.write_text(hidden.read_text().replace("rtol=1e-6, atol=1e-8)", "rtol=1e-6, atol=1e-8)\n    assert False"))
    done = run_cli("--course", course, "validate", A01)
    assert done.returncode == 1
    reference_rows = [line for line in done.stdout.splitlines() if "reference" in line and "full marks" in line]
    assert reference_rows and "MISS" in reference_rows[0]


def test_a_hidden_message_that_quotes_a_hidden_number_is_a_miss(tmp_path):
    course = small_course(tmp_path, {"grad_fn_sums"})
    hidden = course / "solutions" / A01 / "test_hidden.py"
    leaky = 'rtol=1e-6, atol=1e-8, what=f"grad_fn of {len(x)} samples")'  # the hidden input's size, in the message
    hidden.write_text(hidden.read_text().replace("rtol=1e-6, atol=1e-8)", leaky))
    done = run_cli("--course", course, "validate", A01)
    assert done.returncode == 1
    rows = [line for line in done.stdout.splitlines() if "grad_fn_sums" in line]
    assert rows and "MISS" in rows[0] and "quotes a number" in done.stdout and "grad_fn of 30 samples" in done.stdout
