"""Finding the submissions of a class in the layouts that platforms export, and who handed each in.

Recognised layouts of a SUBMISSIONS folder (or zip):

- **Gradescope** "Export Submissions": ``submission_metadata.yml`` beside one folder per
  submission (``submission_123456/``); the metadata names its submitters (``:name``,
  ``:sid``, ``:email``) and when it was handed in (``:created_at``, a Ruby timestamp such
  as ``2026-12-01 22:04:37.861687000 Z``). A group submission counts once, under its first
  submitter, and lists the others. The export holds no due date: a submission is late when
  it was handed in after the ``due`` given to :func:`discover`.
- **Canvas** bulk download: files named ``name_12345_67890_file.py`` (``name_LATE_...`` when
  Canvas judged it late), where ``name`` is the student's sortable name in lower case without
  punctuation, 12345 the student's Canvas id and 67890 the file's; a student's files are
  graded together.
- **GitHub Classroom**: cloned repositories ``assignment-name-username/``.
- **Plain**: anything else, one submission per entry (a file, a folder or a zip).

A roster (CSV) fills in names, ids, logins and emails: columns are matched by name, and an
exported Canvas gradebook (``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``)
works as a roster as it is.

Nothing here runs submitted code; symbolic links inside a submission are refused, so that a
submission cannot hand in a file of the grader's (say, the reference solution) as its own.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import re
import shutil
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

import yaml

GRADESCOPE_METADATA = "submission_metadata.yml"
CANVAS_NAME = re.compile(r"^(?P<login>.+?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<number>\d+)_(?P<file>.+)$", re.IGNORECASE)
CANVAS_RESUBMISSION = re.compile(r"-\d+$")  # Canvas renames a resubmitted gradient_descent.py gradient_descent-1.py
MAX_EXPORT_BYTES = 2 * 1024**3
MAX_EXPORT_MEMBERS = 200_000
IGNORED = (".", "__MACOSX")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


class LayoutError(Exception):
    """The submissions folder (or its roster) cannot be read."""


@dataclass
class Student:
    name: str = ""
    id: str = ""
    login: str = ""
    email: str = ""


@dataclass
class Found:
    """One submission of the class, ready to grade."""

    key: str  # unique, stable, safe as a file name
    path: Path  # what is graded: a file, a folder or a zip
    source: str  # where it came from, relative to SUBMISSIONS
    student: Student = field(default_factory=Student)
    late: bool = False
    co_submitters: list[Student] = field(default_factory=list)
    problem: str = ""  # why it cannot be graded, found before grading (e.g. a symbolic link)
    submitted_at: str = ""  # when it was handed in (ISO 8601 with its offset), where the export says

    def identity(self) -> dict:
        return {"student": asdict(self.student), "co_submitters": [asdict(s) for s in self.co_submitters]}


def discover(
    submissions: Path,
    staging: Path,
    roster: list[dict[str, str]] | None = None,
    due: datetime.datetime | None = None,
) -> list[Found]:
    """Every submission under ``submissions`` (a folder or a zip), sorted by key.

    Zips of a whole class are unpacked under ``staging``; so are Canvas files, grouped by student.
    A submission is late when the export says so (Canvas), or when it says when it was handed
    in (Gradescope) and that is after ``due`` (an aware datetime).
    """
    if not submissions.exists():
        raise LayoutError(f"no such file or folder: {submissions}")
    root = submissions
    if submissions.is_file():
        if submissions.suffix != ".zip":
            raise LayoutError(f"{submissions}: expected a folder of submissions or a zip of them")
        root = unpack(submissions, staging / "export")
    root = _single_folder(root)
    if (root / GRADESCOPE_METADATA).is_file():
        found = _gradescope(root)
    elif any(CANVAS_NAME.match(path.name) for path in _entries(root)):
        found = _canvas(root, staging / "canvas")
    elif any((path / ".git").exists() for path in _entries(root)):
        found = _classroom(root)
    else:
        found = [Found(safe_key(_stem(path)), path, path.name) for path in _entries(root)]
    found = _unique_keys(found)
    if roster is not None:
        for item in found:
            _fill_from_roster(item, roster)
    for item in found:
        item.problem = item.problem or symlink_problem(item.path)
        item.late = item.late or is_after(item.submitted_at, due)
    return sorted(found, key=lambda item: item.key)


def _stem(path: Path) -> str:
    return path.stem if path.is_file() else path.name


def _entries(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if not path.name.startswith(IGNORED))


def _single_folder(root: Path) -> Path:
    """An export that holds one folder and nothing else means that folder."""
    entries = _entries(root)
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink() and not (entries[0] / ".git").exists():
        inner = entries[0]
        if (inner / GRADESCOPE_METADATA).is_file() or all(p.is_dir() for p in _entries(inner)):
            return inner
    return root


def unpack(archive: Path, into: Path) -> Path:
    """Unpack a class export, refusing zip bombs; member paths cannot leave ``into``."""
    try:
        with zipfile.ZipFile(archive) as export:
            members = export.infolist()
            if len(members) > MAX_EXPORT_MEMBERS or sum(m.file_size for m in members) > MAX_EXPORT_BYTES:
                raise LayoutError(f"{archive} is too large to unpack")
            if into.exists():
                shutil.rmtree(into)
            export.extractall(into)  # zipfile drops absolute paths and ".." parts
    except (zipfile.BadZipFile, OSError, RuntimeError) as error:
        raise LayoutError(f"{archive} is not a readable zip file: {error}") from None
    return into


def _gradescope(root: Path) -> list[Found]:
    try:
        metadata = yaml.safe_load((root / GRADESCOPE_METADATA).read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise LayoutError(f"{root / GRADESCOPE_METADATA} is not readable YAML: {error}") from None
    if not isinstance(metadata, dict):
        raise LayoutError(f"{root / GRADESCOPE_METADATA} does not list submissions")
    found = []
    for path in _entries(root):
        if path.name == GRADESCOPE_METADATA:
            continue
        entry = metadata.get(path.name) or metadata.get(path.stem) or {}
        submitters = entry.get(":submitters") or [] if isinstance(entry, dict) else []
        people = [
            Student(str(s.get(":name", "")), str(s.get(":sid", "") or ""), "", str(s.get(":email", "") or ""))
            for s in submitters
            if isinstance(s, dict)
        ] or [Student()]
        submitted_at = timestamp(entry.get(":created_at")) if isinstance(entry, dict) else ""
        found.append(Found(safe_key(path.stem), path, path.name, people[0], False, people[1:], "", submitted_at))
    return found


def timestamp(value: object) -> str:
    """A time the export gives (YAML reads Gradescope's as a datetime), as ISO 8601 with its offset
    (one without an offset is UTC, as Gradescope writes it); "" when it is none."""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return ""
    if not isinstance(value, datetime.datetime):
        return ""
    return (value if value.tzinfo else value.replace(tzinfo=datetime.UTC)).isoformat()


def is_after(submitted_at: str, due: datetime.datetime | None) -> bool:
    """Whether a submission handed in at ``submitted_at`` (see :func:`timestamp`) missed ``due``."""
    return due is not None and bool(submitted_at) and datetime.datetime.fromisoformat(submitted_at) > due


def _canvas(root: Path, staging: Path) -> list[Found]:
    """Canvas files grouped by student id, each group copied into a folder of its own."""
    groups: dict[str, list[tuple[Path, re.Match]]] = {}
    others = []
    for path in _entries(root):
        match = CANVAS_NAME.match(path.name)
        if match and path.is_file() and not path.is_symlink():
            groups.setdefault(match["id"], []).append((path, match))
        else:
            others.append(Found(safe_key(path.stem), path, path.name))
    if staging.exists():
        shutil.rmtree(staging)
    found = []
    for canvas_id, files in groups.items():
        folder = staging / canvas_id
        folder.mkdir(parents=True)
        for path, match in sorted(files, key=lambda pair: int(pair[1]["number"])):  # later uploads win
            name = PurePosixPath(match["file"])
            shutil.copyfile(path, folder / (CANVAS_RESUBMISSION.sub("", name.stem) + name.suffix))
        first = files[0][1]
        source = files[0][0].name if len(files) == 1 else f"{first['login']}_*_{canvas_id}_*"
        student = Student("", canvas_id, first["login"], "")
        found.append(Found(f"canvas-{canvas_id}", folder, source, student, any(m["late"] for _, m in files)))
    return found + others


def _classroom(root: Path) -> list[Found]:
    """GitHub Classroom clones ``prefix-username``: the prefix is what all names share."""
    folders = [path for path in _entries(root) if path.is_dir()]
    names = [path.name for path in folders]
    prefix = _common_prefix(names) if len(names) > 1 else ""
    prefix = prefix[: prefix.rfind("-") + 1]
    found = []
    for path in folders:
        login = path.name[len(prefix) :] or path.name
        found.append(Found(safe_key(login), path, path.name, Student(login=login)))
    return found


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    size = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last)))
    return first[:size]


def safe_key(name: str) -> str:
    """A name safe as a file name on every system."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).strip("._") or "submission"


def _unique_keys(found: list[Found]) -> list[Found]:
    """Two entries that clean to the same key (``a b.py``, ``a_b.py``) get a suffix from their source."""
    counts: dict[str, int] = {}
    for item in found:
        counts[item.key] = counts.get(item.key, 0) + 1
    for item in found:
        if counts[item.key] > 1:
            item.key = f"{item.key}-{hashlib.sha256(item.source.encode()).hexdigest()[:8]}"
    return found


def symlink_problem(path: Path) -> str:
    """Why a submission that is, or holds, a symbolic link is refused ("" when it holds none)."""
    if path.is_symlink():
        return "the submission is a symbolic link"
    if path.is_dir():
        for inner in path.rglob("*"):
            if inner.is_symlink():
                return f"the submission holds a symbolic link ({inner.relative_to(path).as_posix()})"
    return ""


def read_roster(path: Path) -> list[dict[str, str]]:
    """A roster CSV: one row per student, columns matched case-insensitively by name."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(file)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise LayoutError(f"cannot read the roster {path}: {error}") from None
    if rows and not any(_roster_fields(row)[1:] != ("", "", "") for row in rows):
        raise LayoutError(f"the roster {path} has no id, login or email column")
    return [row for row in rows if not is_canvas_points_row(row)]


def is_canvas_points_row(row: dict[str, str]) -> bool:
    """The rows under a Canvas gradebook's header (``Points Possible``, muted flags) are no students."""
    return row.get("Student", "").strip() in ("Points Possible", "") and not row.get("ID", "").strip()


def is_canvas_gradebook(columns: list[str]) -> bool:
    return all(column in columns for column in CANVAS_COLUMNS)


ROSTER_COLUMNS = {
    "name": ("name", "student", "full name", "student name"),
    "id": ("id", "sid", "student id", "student_id", "sis user id"),
    "login": ("login", "username", "github", "github username", "sis login id"),
    "email": ("email", "e-mail", "email address"),
}


def _roster_fields(row: dict[str, str]) -> tuple[str, str, str, str]:
    lowered = {key.lower(): value for key, value in row.items()}

    def pick(field_name: str) -> str:
        return next((lowered[c] for c in ROSTER_COLUMNS[field_name] if lowered.get(c)), "")

    return pick("name"), pick("id"), pick("login"), pick("email")


def roster_row(student: Student, key: str, roster: list[dict[str, str]]) -> dict[str, str] | None:
    """The roster row that shares an id, login, email or key with a student (in any case): every id,
    login and email column of the row counts (a Canvas gradebook's ``ID`` and ``SIS User ID`` both)."""
    known = {value.lower() for value in (student.id, student.login, student.email, key)} - {""}
    for row in roster:
        if known & _identifiers(row):
            return row
    return None


def _identifiers(row: dict[str, str]) -> set[str]:
    lowered = {
        key.lower(): value.lower() for key, value in row.items() if isinstance(key, str) and isinstance(value, str)
    }
    columns = (*ROSTER_COLUMNS["id"], *ROSTER_COLUMNS["login"], *ROSTER_COLUMNS["email"])
    return {lowered[column] for column in columns if lowered.get(column)}


def _fill_from_roster(item: Found, roster: list[dict[str, str]]) -> None:
    """Complete the student's fields from their roster row."""
    row = roster_row(item.student, item.key, roster)
    if row is not None:
        name, student_id, login, email = _roster_fields(row)
        student = item.student
        student.name = student.name or name
        student.id = student.id or student_id
        student.login = student.login or login
        student.email = student.email or email
