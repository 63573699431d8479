"""`autograder build`: student release, Gradescope autograder and CI grading, used as their users use them."""

import base64
import json
import os
import subprocess
import sys
import zipfile

import pytest
from conftest import A01, REFERENCE_01, ROOT, STUB_01, run_cli, task_scores

from autograder import bank, course

ASSIGNMENT = course.load(A01)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    done = run_cli("build", A01, "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    return out / A01


def unzip(archive, folder):
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(folder)
        for info in zipped.infolist():  # zipfile drops permissions; keep the executable bits
            mode = info.external_attr >> 16
            if mode:
                os.chmod(folder / info.filename, mode)
    return folder


def test_build_writes_every_deliverable(dist):
    expected = {"student.zip", "gradescope.zip", "gradient_descent.ipynb", "otter"}
    assert {path.name for path in dist.iterdir()} == expected


def test_student_zip_holds_what_students_need(dist):
    names = zipfile.ZipFile(dist / "student.zip").namelist()
    for needed in ("gradient_descent.py", "gradient_descent.ipynb", "test_gradient_descent.py", "README.md",
                   "conftest.py", "assignment.toml", "requirements.txt", "autograder/testing/student.py"):  # fmt: skip
        assert f"{A01}/{needed}" in names
    with zipfile.ZipFile(dist / "student.zip") as zipped:
        assert zipped.read(f"{A01}/gradient_descent.py") == STUB_01.read_bytes()
        requirements = zipped.read(f"{A01}/requirements.txt").decode()
    for package in ("torch", "pytest", "hypothesis==", "numpy", "nbformat"):
        assert package in requirements


def test_no_student_zip_holds_a_hidden_test_a_reference_or_a_bank_entry(tmp_path):
    assert run_cli("build", "--all", "--out", tmp_path).returncode == 0
    for assignment in course.all_assignments():
        with zipfile.ZipFile(tmp_path / assignment.id / "student.zip") as zipped:
            names = zipped.namelist()
            folders = {part for name in names for part in name.split("/")[:-1]}
            assert not folders & {"solutions", "bank", "wrong", "right"}
            secret = {assignment.reference_file.read_bytes(), *(path.read_bytes() for path in assignment.hidden_tests)}
            secret |= {entry.path.read_bytes() for entry in bank.entries(assignment)}
            assert not any(zipped.read(name) in secret for name in names), assignment.id


def run_student_pytest(folder):
    env = {key: value for key, value in os.environ.items() if key != "AUTOGRADER_SUBMISSION"}
    return subprocess.run([sys.executable, "-m", "pytest"], cwd=folder, capture_output=True, text=True, env=env)


def test_unzipped_release_guides_on_the_stub_and_passes_a_solution(dist, tmp_path):
    folder = unzip(dist / "student.zip", tmp_path) / A01
    where = subprocess.run(
        [sys.executable, "-c", "import autograder; print(autograder.__file__)"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(folder)), "the release must run on its own copy of the engine"
    stub_run = run_student_pytest(folder)
    assert stub_run.returncode == 1 and stub_run.stdout.count("not implemented yet") == 7
    (folder / "gradient_descent.py").write_bytes(REFERENCE_01.read_bytes())
    solved_run = run_student_pytest(folder)
    assert solved_run.returncode == 0 and "public tests: 17/17 points" in solved_run.stdout


def run_gradescope(dist, tmp_path, submission_files):
    root = tmp_path / "autograder"
    unzip(dist / "gradescope.zip", root / "source")
    (root / "submission").mkdir()
    for name, data in submission_files.items():
        (root / "submission" / name).write_bytes(data)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_COMMAND": str(ROOT / ".venv" / "bin" / "autograder")}
    done = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def check_gradescope_schema(results):
    assert isinstance(results["score"], (int, float)) and isinstance(results["execution_time"], (int, float))
    for test in results["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")


def test_gradescope_autograder_grades_reference_stub_and_a_mistake(dist, tmp_path):
    assert (
        subprocess.run(["bash", "-n", str(unzip(dist / "gradescope.zip", tmp_path / "check") / "setup.sh")]).returncode
        == 0
    )
    full = run_gradescope(dist, tmp_path / "reference", {"gradient_descent.py": REFERENCE_01.read_bytes()})
    check_gradescope_schema(full)
    assert full["score"] == sum(test["max_score"] for test in full["tests"]) > 0
    stub = run_gradescope(dist, tmp_path / "stub", {"gradient_descent.py": STUB_01.read_bytes()})
    check_gradescope_schema(stub)
    assert stub["score"] == 0
    mistake = bank.demo_entry(ASSIGNMENT)
    graded = run_gradescope(dist, tmp_path / "mistake", {"gradient_descent.py": mistake.source(ASSIGNMENT).encode()})
    check_gradescope_schema(graded)
    path = tmp_path / "gradient_descent.py"
    path.write_text(mistake.source(ASSIGNMENT))
    direct = tmp_path / "direct.json"
    assert run_cli("grade", A01, path, "--json", direct).returncode == 0
    by_task = {}
    for test in graded["tests"]:
        by_task[test["name"].split(":")[0]] = by_task.get(test["name"].split(":")[0], 0) + test["score"]
    assert by_task == {name: score for name, (score, _) in task_scores(json.loads(direct.read_text())).items()}


def test_gradescope_explains_a_submission_it_cannot_read(dist, tmp_path):
    results = run_gradescope(dist, tmp_path, {"notes.txt": b"I forgot the code"})
    assert (
        results["score"] == 0
        and "Nothing was graded" in results["output"]
        and "gradient_descent.py" in results["output"]
    )


def run_workflow_steps(repo, tmp_path, **env):
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    environment = {**os.environ, "PYTHON": sys.executable, "GITHUB_STEP_SUMMARY": str(summary),
                   "GITHUB_OUTPUT": str(outputs), **env}  # fmt: skip
    done = subprocess.run(
        ["bash", ".github/autograder/grade.sh"], cwd=repo, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = outputs.read_text().removeprefix("result=").strip()
    return (
        done.stdout,
        summary.read_text(),
        json.loads(base64.b64decode(result)),
        json.loads((repo / "results.json").read_text()),
    )


def test_github_workflow_grades_a_student_repository(dist, tmp_path):
    repo = unzip(dist / "student.zip", tmp_path / "repo") / A01
    workflow = (repo / ".github" / "workflows" / "autograder.yml").read_text()
    assert "bash .github/autograder/grade.sh" in workflow and "results.json" in workflow
    mistake = bank.demo_entry(ASSIGNMENT)
    (repo / "gradient_descent.py").write_text(mistake.source(ASSIGNMENT))
    log, summary, classroom, results = run_workflow_steps(repo, tmp_path)
    assert f"Points {results['score']:g}/{results['max_score']:g}" in log
    assert "| `grad_fn` |" in summary and "❌ failed" in summary and "✅ passed" in summary
    assert classroom["version"] == 3 and classroom["max_score"] == results["max_score"]
    assert sum(test["score"] for test in classroom["tests"]) == results["score"]
    assert all(test["visibility"] == "visible" for task in results["tasks"] for test in task["tests"])
    _, _, _, with_hidden = run_workflow_steps(repo, tmp_path, COURSE_DIR=str(ROOT))
    assert with_hidden["max_score"] > results["max_score"]
    assert any(test["visibility"] == "hidden" for task in with_hidden["tasks"] for test in task["tests"])
