"""What ``autograder build`` hands out, all from the one source of each assignment.

- ``student.zip``: the stub, notebook, public tests, README (with the set-up steps),
  manifest, probes, the engine's source (for student mode and the notebook's check cells),
  ``requirements.txt`` (CPU torch, Jupyter) and a GitHub Actions workflow that grades the
  repository made from it with the public tests; nothing from ``solutions/``.
- ``gradescope.zip``: ``setup.sh`` and ``run_autograder`` at its root (Gradescope's
  autograder specification) and the course they grade with, hidden tests included.
- ``<module>.ipynb``: the student notebook on its own.
- ``otter/``: an Otter Assign master notebook and the files it names (see ``otter.py``).
- ``github/grade-classroom.yml``: a workflow for the private course repository that grades
  the students' repositories with the hidden tests.

What holds instructor material (``gradescope.zip``, ``otter/``) is written readable by its
owner only (0600 files, 0700 folders).

The tested torch version and the index of its CPU builds are set here once; every
generated file, ``setup.sh`` and ``.ci/run`` use the same (a test checks that they agree).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import autograder
from autograder.course import Assignment
from autograder.notebook import notebook_file

TEMPLATES = Path(autograder.__file__).parent / "templates"
DISTRIBUTION = "nn-autograder"
TORCH_VERSION = "2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH_REQUIREMENT = f"torch=={TORCH_VERSION}"
PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700


def engine_files() -> Iterator[tuple[Path, str]]:
    """The engine's own files, as (path, name inside an archive)."""
    package = Path(autograder.__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path, f"autograder/{path.relative_to(package).as_posix()}"


def requirements() -> str:
    """What a student or a platform installs: the CPU build of the tested torch, the engine's
    run-time needs and Jupyter for the notebook, one a line, for ``pip install -r``."""
    lines = [
        "# pip install -r requirements.txt  (CPU build of torch: a few hundred MB, no GPU needed)",
        f"--extra-index-url {TORCH_CPU_INDEX}",
        TORCH_REQUIREMENT,
        *(need for need in runtime_needs() if not need.startswith("torch")),
        "jupyterlab",
    ]
    return "\n".join(lines) + "\n"


def runtime_needs() -> list[str]:
    """The engine's own run-time requirements (its extras left out)."""
    return [r for r in importlib.metadata.requires(DISTRIBUTION) or [] if "extra ==" not in r]


def student_readme(assignment: Assignment) -> str:
    """The assignment's README with, below its title, the set-up steps a student follows first."""
    title, _, body = (assignment.public_dir / "README.md").read_text().partition("\n")
    setup = f"""## Setting up

You need Python 3.11 or newer. In this folder, once:

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt     # Windows: .venv\\Scripts\\pip install -r requirements.txt
```

This installs the CPU build of torch {TORCH_VERSION} (no GPU needed), pytest and Jupyter. Then
check your work with `.venv/bin/pytest`, or work in the notebook with
`.venv/bin/jupyter lab {notebook_file(assignment).name}`.
"""
    return f"{title}\n\n{setup}\n{body.lstrip()}"


def student_files(assignment: Assignment) -> Iterator[tuple[Path | str, str]]:
    """Everything a student gets, as (path or text, name inside the zip)."""
    public = [
        assignment.manifest_file,
        assignment.stub_file,
        notebook_file(assignment),
        assignment.public_dir / "conftest.py",
        *assignment.public_tests,
    ]
    optional = ("probes.py", "support.py", assignment.expected_file.name)
    public += [path for path in (assignment.public_dir / name for name in optional) if path.exists()]
    for path in public:
        yield path, path.name
    yield student_readme(assignment), "README.md"
    yield from engine_files()
    yield requirements(), "requirements.txt"
    yield _filled(TEMPLATES / "github" / "autograder.yml", assignment), ".github/workflows/autograder.yml"
    yield _filled(TEMPLATES / "github" / "grade.sh", assignment), ".github/autograder/grade.sh"


def _filled(template: Path, assignment: Assignment | None = None, **more: str) -> str:
    """A template with its ``@NAME@`` fields filled: the assignment's, torch's and ``more``."""
    fields = {"TORCH_REQUIREMENT": TORCH_REQUIREMENT, "TORCH_CPU_INDEX": TORCH_CPU_INDEX, **more}
    if assignment is not None:
        fields |= {"ASSIGNMENT": assignment.id, "MODULE": assignment.module}
    text = template.read_text()
    for name, value in fields.items():
        text = text.replace(f"@{name}@", value)
    return text


def gradescope_files(assignment: Assignment) -> Iterator[tuple[Path | str, str]]:
    """The Gradescope autograder: scripts at the root, the course under ``course/``."""
    yield _filled(TEMPLATES / "gradescope" / "setup.sh"), "setup.sh"
    yield _filled(TEMPLATES / "gradescope" / "run_autograder", assignment), "run_autograder"
    root = assignment.public_dir.parents[1]
    for folder in (assignment.public_dir, assignment.solution_dir):
        for path in sorted(folder.rglob("*")):
            inside = path.relative_to(folder).parts
            if path.is_file() and not any(part == "__pycache__" or part.startswith(".") for part in inside):
                yield path, f"course/{path.relative_to(root).as_posix()}"
    for path, name in engine_files():
        yield path, f"course/{name}"
    yield engine_pyproject(), "course/pyproject.toml"


def engine_pyproject() -> str:
    """A ``pyproject.toml`` that installs this engine, whichever folder the course lives in."""
    inits = [name for _, name in engine_files() if name.endswith("/__init__.py")]
    packages = sorted(name.removesuffix("/__init__.py").replace("/", ".") for name in inits)
    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{DISTRIBUTION}"
version = "{autograder.__version__}"
requires-python = ">=3.11"
dependencies = {json.dumps(runtime_needs())}

[project.scripts]
autograder = "autograder.__main__:main"

[tool.setuptools]
packages = {json.dumps(packages)}

[tool.setuptools.package-data]
autograder = ["templates/*/*"]
"""


def private_opener(path: str, flags: int) -> int:
    """``open``'s opener for a file only its owner may read, whatever existed there before."""
    descriptor = os.open(path, flags, PRIVATE_FILE)
    os.fchmod(descriptor, PRIVATE_FILE)
    return descriptor


def make_private(folder: Path) -> None:
    """Close ``folder`` and everything in it to other users (0700 folders, 0600 files)."""
    folder.chmod(PRIVATE_FOLDER)
    for path in folder.rglob("*"):
        path.chmod(PRIVATE_FOLDER if path.is_dir() else PRIVATE_FILE)


def write_zip(
    path: Path, files: Iterator[tuple[Path | str, str]], prefix: str = "", opener: Callable | None = None
) -> None:
    """A reproducible zip of ``files``; scripts keep their executable bit inside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb", opener=opener) as file, zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
        for source, name in files:
            info = zipfile.ZipInfo(prefix + name, date_time=(2020, 1, 1, 0, 0, 0))
            executable = name in ("setup.sh", "run_autograder") or name.endswith(".sh")
            info.external_attr = (0o755 if executable else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = source.read_bytes() if isinstance(source, Path) else source.encode()
            archive.writestr(info, data)


def build(assignment: Assignment, out: Path) -> list[Path]:
    """Write the student release, the Gradescope autograder and the notebook (``otter.export`` adds Otter's)."""
    folder = out / assignment.id
    student, gradescope = folder / "student.zip", folder / "gradescope.zip"
    write_zip(student, student_files(assignment), prefix=f"{assignment.id}/")
    write_zip(gradescope, gradescope_files(assignment), opener=private_opener)
    notebook = folder / notebook_file(assignment).name
    shutil.copy(notebook_file(assignment), notebook)
    return [student, gradescope, notebook]


def build_course_workflow(assignments: list[Assignment], out: Path) -> Path:
    """The course repository's workflow that grades the students' repositories with the hidden tests."""
    path = out / "github" / "grade-classroom.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    ids = ", ".join(assignment.id for assignment in assignments)
    path.write_text(_filled(TEMPLATES / "github" / "grade-classroom.yml", ASSIGNMENTS=f"[{ids}]"))
    return path
