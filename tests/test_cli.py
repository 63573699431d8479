"""The ``autograder`` command line as a person meets it: help, version, options, quick errors."""

import importlib.metadata
import subprocess
import sys

from conftest import A01, REFERENCE_01, ROOT, run_cli

from autograder import cli
from autograder.sandbox import launcher

COMMANDS = ["grade", "grade-all", "gradebook", "demo", "new", "sync", "validate", "build", "sandbox-setup"]


def test_help_argument_errors_and_refused_submissions_import_nothing_heavy():
    script = (
        "import sys\n"
        "from autograder.cli import main\n"
        "for argv in (['--help'], ['grade', '--help'], ['--version'], ['grade', '01_gradient_descent']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "main(['grade', '99_no_such_assignment', 'x.py'])\n"
        "main(['grade', '01_gradient_descent', 'a.py', 'b.py'])\n"
        "main(['grade', '01_gradient_descent', 'no_such_file.py'])\n"  # intake's refusals too
        "print(sorted(m for m in ('torch', 'pytest', 'numpy', 'autograder.grading') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_explains_itself_with_examples():
    top = run_cli("--help")
    assert top.returncode == 0 and "The ``autograder`` command" not in top.stdout
    for command in COMMANDS:
        assert command in top.stdout
        done = run_cli(command, "--help")
        assert done.returncode == 0, command
        assert "example" in done.stdout and "--course" in done.stdout, command


def test_version_comes_from_the_package_metadata():
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"autograder {importlib.metadata.version('nn-autograder')}"


def test_course_is_accepted_before_and_after_the_command(tmp_path):
    for args in (("--course", ROOT, "sync", "--check"), ("sync", "--check", "--course", ROOT)):
        done = run_cli(*args, cwd=tmp_path)
        assert done.returncode == 0 and "matches its source" in done.stdout, args
    done = run_cli("sync", "--check", "--course", tmp_path, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout.count("\n") == 1 and "not a course folder" in done.stdout


def test_several_submissions_are_refused_in_one_whole_line(tmp_path):
    done = run_cli("grade", A01, REFERENCE_01, tmp_path / "b.py")
    assert done.returncode == 2 and done.stdout.count("\n") == 1, done.stdout
    assert "grade takes one submission, got 2" in done.stdout and "grade-all" in done.stdout


def test_a_grader_that_cannot_start_its_sandboxes_fails_and_blames_no_one(monkeypatch, capsys):
    class DeadZygote:
        def ready(self) -> bool:
            return False

    monkeypatch.setattr(launcher, "shared_zygote", DeadZygote)
    assert cli.main(["grade", A01, str(REFERENCE_01)]) == 2
    out = capsys.readouterr().out
    assert "nothing was graded" in out and "not the submission's fault" in out and "│" not in out
