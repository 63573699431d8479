"""What ``autograder build`` hands out, all from the one source of each assignment.

- ``student.zip``: the stub, notebook, public tests, README, manifest, probes, the engine's
  source (for student mode and the notebook's check cells), ``requirements.txt`` and a
  GitHub Actions workflow that grades the repository made from it; nothing from
  ``solutions/``.
- ``gradescope.zip``: ``setup.sh`` and ``run_autograder`` at its root (Gradescope's
  autograder specification) and the course they grade with, hidden tests included.
- ``<module>.ipynb``: the student notebook on its own.
- ``otter/``: an Otter Assign master notebook and the files it names (see ``otter.py``).
"""

from __future__ import annotations

import importlib.metadata
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import autograder
from autograder.course import Assignment
from autograder.notebook import notebook_file

TEMPLATES = Path(autograder.__file__).parent / "templates"
DISTRIBUTION = "nn-autograder"


def engine_files() -> Iterator[tuple[Path, str]]:
    """The engine's own files, as (path, name inside an archive)."""
    package = Path(autograder.__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path, f"autograder/{path.relative_to(package).as_posix()}"


def requirements() -> str:
    """The engine's run-time requirements, one a line."""
    needs = [r for r in importlib.metadata.requires(DISTRIBUTION) or [] if "extra ==" not in r]
    return "# Install with: pip install -r requirements.txt\n" + "\n".join(needs) + "\n"


def student_files(assignment: Assignment) -> Iterator[tuple[Path | str, str]]:
    """Everything a student gets, as (path or text, name inside the zip)."""
    public = [
        assignment.manifest_file,
        assignment.stub_file,
        notebook_file(assignment),
        assignment.public_dir / "README.md",
        assignment.public_dir / "conftest.py",
        *assignment.public_tests,
    ]
    public += [path for path in (assignment.public_dir / name for name in ("probes.py", "support.py")) if path.exists()]
    for path in public:
        yield path, path.name
    yield from engine_files()
    yield requirements(), "requirements.txt"
    yield _filled(TEMPLATES / "github" / "autograder.yml", assignment), ".github/workflows/autograder.yml"
    yield _filled(TEMPLATES / "github" / "grade.sh", assignment), ".github/autograder/grade.sh"


def _filled(template: Path, assignment: Assignment) -> str:
    return template.read_text().replace("@ASSIGNMENT@", assignment.id).replace("@MODULE@", assignment.module)


def gradescope_files(assignment: Assignment) -> Iterator[tuple[Path | str, str]]:
    """The Gradescope autograder: scripts at the root, the course under ``course/``."""
    yield (TEMPLATES / "gradescope" / "setup.sh").read_text(), "setup.sh"
    yield _filled(TEMPLATES / "gradescope" / "run_autograder", assignment), "run_autograder"
    root = assignment.public_dir.parents[1]
    for folder in (assignment.public_dir, assignment.solution_dir):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                yield path, f"course/{path.relative_to(root).as_posix()}"
    for path, name in engine_files():
        yield path, f"course/{name}"
    yield root / "pyproject.toml", "course/pyproject.toml"
    yield root / "README.md", "course/README.md"


def write_zip(path: Path, files: Iterator[tuple[Path | str, str]], prefix: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for source, name in files:
            info = zipfile.ZipInfo(prefix + name, date_time=(2020, 1, 1, 0, 0, 0))
            executable = name in ("setup.sh", "run_autograder") or name.endswith(".sh")
            info.external_attr = (0o755 if executable else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = source.read_bytes() if isinstance(source, Path) else source.encode()
            archive.writestr(info, data)


def build(assignment: Assignment, out: Path) -> list[Path]:
    """Write the student release, the Gradescope autograder, the notebook and the Otter export."""
    from autograder import otter
    from autograder.grading import points_by_task

    folder = out / assignment.id
    student, gradescope = folder / "student.zip", folder / "gradescope.zip"
    write_zip(student, student_files(assignment), prefix=f"{assignment.id}/")
    write_zip(gradescope, gradescope_files(assignment))
    notebook = folder / notebook_file(assignment).name
    shutil.copy(notebook_file(assignment), notebook)
    master = otter.export(assignment, points_by_task(assignment), folder / "otter")
    return [student, gradescope, notebook, master]
