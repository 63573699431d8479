"""`autograder build`: student release, Gradescope autograder and CI grading, used as their users use them."""

import base64
import json
import os
import re
import stat
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import A01, REFERENCE_01, ROOT, STUB_01, run_cli, task_scores

from autograder import bank, course, packaging

ASSIGNMENT = course.load(A01)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    (out / A01).mkdir()
    (out / A01 / "gradescope.zip").write_text("an older build")  # readable by all: the build must close it
    (out / A01 / "gradescope.zip").chmod(0o644)
    done = run_cli("build", A01, "--out", out)
    assert done.returncode == 0, done.stdout + done.stderr
    return out / A01


@pytest.fixture(scope="module")
def open_tmp():
    """A temporary folder that other users may enter, as a student's home is to its sandboxes when root grades."""
    with tempfile.TemporaryDirectory(prefix="autograder-test-") as folder:
        os.chmod(folder, 0o755)
        yield Path(folder)


@pytest.fixture(scope="module")
def python_without_engine(open_tmp):
    """A Python with the engine's dependencies but not the engine: what a student's machine has."""
    env = open_tmp / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", env], check=True)
    site = subprocess.run(
        [env / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # A plain path entry: the editable install's finder (a .pth of that folder) is not run.
    (env / site.split(str(env) + "/", 1)[1] / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = env / "bin" / "python"
    assert subprocess.run([python, "-c", "import torch, rich"], cwd=env).returncode == 0
    assert subprocess.run([python, "-c", "import autograder"], cwd=env, capture_output=True).returncode != 0
    return python


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
                   "conftest.py", "assignment.toml", "support.py", "expected.json", "requirements.txt",
                   "autograder/testing/student.py"):  # fmt: skip
        assert f"{A01}/{needed}" in names
    with zipfile.ZipFile(dist / "student.zip") as zipped:
        assert zipped.read(f"{A01}/gradient_descent.py") == STUB_01.read_bytes()
        requirements = zipped.read(f"{A01}/requirements.txt").decode().splitlines()
        readme = zipped.read(f"{A01}/README.md").decode()
    assert f"--extra-index-url {packaging.TORCH_CPU_INDEX}" in requirements  # the CPU build, not CUDA's GBs
    assert packaging.TORCH_REQUIREMENT in requirements and "jupyterlab" in requirements
    for package in ("pytest", "hypothesis==", "numpy", "nbformat"):
        assert any(line.startswith(package) for line in requirements)
    original = (ASSIGNMENT.public_dir / "README.md").read_text()
    title, _, rest = readme.partition("## Setting up")
    assert title.strip() == original.splitlines()[0] and original.partition("\n")[2].strip() in rest
    for step in ("python3 -m venv .venv", "pip install -r requirements.txt", "pytest", "jupyter lab"):
        assert step in rest.split("\n## ")[0], step
    assert (dist / "otter" / "requirements.txt").read_text().splitlines() == requirements


def test_instructor_material_is_closed_to_other_users(dist):
    assert stat.S_IMODE((dist / "gradescope.zip").stat().st_mode) == 0o600
    otter = dist / "otter"
    for path in [otter, *otter.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    assert stat.S_IMODE((dist / "student.zip").stat().st_mode) & 0o044  # what students get stays readable


def test_the_torch_pin_is_the_same_everywhere():
    pins = {
        path: re.findall(r"torch==([0-9][0-9.]*)", path.read_text())
        for path in (ROOT / ".ci" / "run", ROOT / "setup.sh", *packaging.TEMPLATES.rglob("*"))
        if path.is_file()
    }
    assert all(found == [packaging.TORCH_VERSION] for path, found in pins.items() if found), pins
    assert pins[ROOT / ".ci" / "run"], ".ci/run must install the tested torch"
    setup = subprocess.run(
        ["bash", "-c", "sed -n 's/^TORCH_VERSION = \"\\(.*\\)\"$/\\1/p' autograder/packaging.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert setup.stdout.strip() == packaging.TORCH_VERSION, "setup.sh reads the pin from packaging.py"
    assert "@TORCH_REQUIREMENT@" in (packaging.TEMPLATES / "gradescope" / "setup.sh").read_text()


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


def run_student_pytest(python, folder):
    env = {key: value for key, value in os.environ.items() if key != "AUTOGRADER_SUBMISSION"}
    return subprocess.run([python, "-m", "pytest"], cwd=folder, capture_output=True, text=True, env=env)


def test_unzipped_release_guides_on_the_stub_and_passes_a_solution(dist, tmp_path, python_without_engine):
    folder = unzip(dist / "student.zip", tmp_path) / A01
    stub_run = run_student_pytest(python_without_engine, folder)
    assert stub_run.returncode == 1 and stub_run.stdout.count("not implemented yet") == 7
    (folder / "gradient_descent.py").write_bytes(REFERENCE_01.read_bytes())
    solved_run = run_student_pytest(python_without_engine, folder)
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
    assert isinstance(results["score"], (int, float)) and "execution_time" not in results
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


def run_workflow_steps(repo, tmp_path, python):
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    environment = {**os.environ, "PYTHON": str(python), "GITHUB_STEP_SUMMARY": str(summary),
                   "GITHUB_OUTPUT": str(outputs)}  # fmt: skip
    return subprocess.run(
        ["bash", ".github/autograder/grade.sh"], cwd=repo, env=environment, capture_output=True, text=True
    )


def test_github_workflow_grades_a_student_repository_with_the_public_tests(
    dist, tmp_path, open_tmp, python_without_engine
):
    repo = unzip(dist / "student.zip", open_tmp / "graded") / A01
    workflow = (repo / ".github" / "workflows" / "autograder.yml").read_text()
    assert "bash .github/autograder/grade.sh" in workflow and "results.json" in workflow
    assert "secrets." not in workflow and "COURSE_REPOSITORY" not in workflow, "students control this workflow"
    assert "pip install -r requirements.txt" in workflow
    mistake = bank.demo_entry(ASSIGNMENT)
    (repo / "gradient_descent.py").write_text(mistake.source(ASSIGNMENT))
    done = run_workflow_steps(repo, tmp_path, python_without_engine)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = (tmp_path / "summary.md").read_text()
    classroom = json.loads(base64.b64decode((tmp_path / "outputs.txt").read_text().removeprefix("result=").strip()))
    results = json.loads((repo / "results.json").read_text())
    assert 0 < results["score"] < results["max_score"], "the engine copy in the release grades the submission"
    assert f"Points {results['score']:g}/{results['max_score']:g}" in done.stdout
    assert "| `grad_fn` |" in summary and "❌ failed" in summary and "✅ passed" in summary
    assert classroom["version"] == 3 and classroom["max_score"] == results["max_score"]
    assert sum(test["score"] for test in classroom["tests"]) == results["score"]
    assert all(test["visibility"] == "visible" for task in results["tasks"] for test in task["tests"])


def test_a_broken_grader_in_a_student_repository_fails_the_run_and_blames_no_one(dist, tmp_path, python_without_engine):
    repo = unzip(dist / "student.zip", tmp_path / "repo") / A01
    (repo / "autograder" / "sandbox" / "zygote.py").unlink()  # the sandboxes cannot start
    done = run_workflow_steps(repo, tmp_path, python_without_engine)
    assert done.returncode != 0 and "not the submission's fault" in done.stdout, done.stdout + done.stderr
    assert not (repo / "results.json").exists()


def test_course_workflow_grades_student_repositories_with_hidden_tests(dist):
    workflow = (dist.parent / "github" / "grade-classroom.yml").read_text()
    assert f"assignment: [{A01}]" in workflow and "@" + "TORCH" not in workflow
    assert "--course . grade" in workflow and "persist-credentials: false" in workflow
    assert "secrets.CLASSROOM_TOKEN" in workflow and "upload-artifact" in workflow
    assert "find submissions -type l -delete" in workflow


FAKE_PYTHON = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$FAKE_LOG"
case "$1" in
    --version) echo "Python 3.MINOR.0" ;;
    -c) case "$2" in *sys.exit*) exit RESULT ;; *) echo 3.MINOR ;; esac ;;
    -m) [ -e "$FAKE_DIR/venv-3.MINOR" ] || exit 1
        mkdir -p "$3/bin"
        for tool in pip autograder; do
            printf '#!/usr/bin/env bash\\necho "%s $*" >> "$FAKE_LOG"\\n' "venv-$tool" > "$3/bin/$tool"
            chmod +x "$3/bin/$tool"
        done ;;
esac
"""
FAKE_APT_GET = """#!/usr/bin/env bash
echo "apt-get $* DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-}" >> "$FAKE_LOG"
set -- "$*"
case "$1" in
    *"install -y python3.11 "*) [ -e "$FAKE_DIR/has-3.11" ] || exit 100
        "$FAKE_DIR/make-python" python3.11 11; touch "$FAKE_DIR/venv-3.11" ;;
    *"install -y python3."*-venv) package="${1##* python}"; touch "$FAKE_DIR/venv-${package%-venv}" ;;
esac
"""
FAKE_ADD_APT_REPOSITORY = """#!/usr/bin/env bash
echo "add-apt-repository $*" >> "$FAKE_LOG"
touch "$FAKE_DIR/has-3.11"
"""
MAKE_PYTHON = """#!/usr/bin/env bash
result=$([ "$2" -ge 11 ] && echo 0 || echo 1)
sed -e "s/MINOR/$2/g" -e "s/RESULT/$result/" "$FAKE_DIR/python.template" > "$FAKE_DIR/$1"
chmod +x "$FAKE_DIR/$1"
"""


def run_gradescope_setup(dist, tmp_path, python3_minor, apt_has_python311=False, python3_has_venv=True):
    """Gradescope's setup.sh on a fake image: apt-get, add-apt-repository and Pythons that log their calls."""
    fake, root, log = tmp_path / "bin", tmp_path / "autograder", tmp_path / "calls.log"
    fake.mkdir()
    unzip(dist / "gradescope.zip", root / "source")
    tools = {"python.template": FAKE_PYTHON, "apt-get": FAKE_APT_GET, "add-apt-repository": FAKE_ADD_APT_REPOSITORY,
             "make-python": MAKE_PYTHON}  # fmt: skip
    for name, text in tools.items():
        (fake / name).write_text(text)
        (fake / name).chmod(0o755)
    (fake / "has-3.11").touch() if apt_has_python311 else None
    (fake / f"venv-3.{python3_minor}").touch() if python3_has_venv else None
    env = {"PATH": f"{fake}:/usr/bin:/bin", "FAKE_DIR": str(fake), "FAKE_LOG": str(log), "AUTOGRADER_ROOT": str(root)}
    subprocess.run([fake / "make-python", "python3", str(python3_minor)], env=env, check=True)
    done = subprocess.run(["bash", root / "source" / "setup.sh"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return log.read_text().splitlines(), done.stdout


@pytest.mark.parametrize(
    ("image", "python3_minor", "apt_has_python311", "python3_has_venv", "python", "installs"),
    [
        ("24.04, python3 3.12 without its venv", 12, False, False, "python3", ["python3.12-venv"]),
        ("a variant with python3 3.11", 11, False, True, "python3", []),
        ("22.04, python3.11 in its archive", 10, True, True, "python3.11", ["python3.11 python3.11-venv"]),
        ("22.04 without python3.11", 10, False, True, "python3.11", ["software-properties-common", "deadsnakes"]),
    ],
)
def test_gradescope_setup_finds_or_installs_python_3_11(
    dist, tmp_path, image, python3_minor, apt_has_python311, python3_has_venv, python, installs
):
    calls, log = run_gradescope_setup(dist, tmp_path, python3_minor, apt_has_python311, python3_has_venv)
    apt = [call for call in calls if call.startswith(("apt-get", "add-apt-repository"))]
    assert all(call.endswith("DEBIAN_FRONTEND=noninteractive") for call in apt if call.startswith("apt-get"))
    for wanted in installs:
        assert any(wanted in call for call in apt), (image, calls)
    assert bool(apt) == bool(installs), (image, calls)
    assert f"{python} -m venv {tmp_path / 'autograder' / 'venv'}" in calls, (image, calls)
    torch = f"venv-pip install {packaging.TORCH_REQUIREMENT} --index-url {packaging.TORCH_CPU_INDEX}"
    assert torch in calls and calls[-1] == "venv-autograder sandbox-setup", (image, calls)
    assert "==> " in log and "sandbox users" in log


FAKE_GIT = """#!/usr/bin/env bash
# git -c http.extraheader=H clone --quiet --depth 1 https://github.com/OWNER/NAME FOLDER, from $FAKE_REMOTES
echo "git $2" >> "$FAKE_LOG"
source="$FAKE_REMOTES/${7#https://github.com/}"
[ -d "$source" ] || exit 128
cp -r "$source" "$8"
"""


def test_course_workflow_steps_grade_every_listed_repository(dist, tmp_path):
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((dist.parent / "github" / "grade-classroom.yml").read_text())
    steps = {step.get("name"): step for step in workflow["jobs"]["grade"]["steps"]}
    course_repo, fake, remotes = tmp_path / "course", tmp_path / "bin", tmp_path / "remotes"
    for folder in (course_repo / ".github" / "classroom", fake, remotes / "class"):
        folder.mkdir(parents=True)
    for name in ("assignments", "solutions", ".venv"):
        (course_repo / name).symlink_to(ROOT / name)
    (course_repo / ".github" / "classroom" / f"{A01}.txt").write_text("# students\nclass/ada\nclass/bob\nclass/gone\n")
    (remotes / "class" / "ada").mkdir()
    (remotes / "class" / "ada" / "gradient_descent.py").write_bytes(REFERENCE_01.read_bytes())
    bob = unzip(dist / "student.zip", tmp_path / "bob") / A01
    (bob / "gradient_descent.py").unlink()
    (bob / "gradient_descent.py").symlink_to(REFERENCE_01)  # the reference, were the link followed
    bob.rename(remotes / "class" / "bob")
    for name, text in (("git", FAKE_GIT), ("sudo", '#!/usr/bin/env bash\nexec "$@"\n')):
        (fake / name).write_text(text)
        (fake / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "FAKE_REMOTES": str(remotes),
           "FAKE_LOG": str(tmp_path / "calls.log"), "ASSIGNMENT": A01, "GH_TOKEN": "the-course-token"}  # fmt: skip
    for step in ("Fetch the students' repositories", "Grade with the hidden tests"):
        script = ["bash", "-eo", "pipefail", "-c", steps[step]["run"]]
        done = subprocess.run(script, cwd=course_repo, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    results = course_repo / "results" / A01
    ada = json.loads((results / "class__ada.json").read_text())
    assert ada["score"] == ada["max_score"] and any(
        test["visibility"] == "hidden" for task in ada["tasks"] for test in task["tests"]
    )
    assert json.loads((results / "class__bob.json").read_text())["score"] == 0
    assert "class/gone: could not be cloned" in (results / "fetch-errors.txt").read_text()
    assert stat.S_IMODE((course_repo / "submissions" / "class__ada").stat().st_mode) == 0o700
    header = base64.b64encode(b"x-access-token:the-course-token").decode()
    assert f"git http.extraheader=AUTHORIZATION: basic {header}" in (tmp_path / "calls.log").read_text()
