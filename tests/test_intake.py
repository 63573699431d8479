"""What the grader reads from a student: only their own regular files, the file they worked on, every cell it can."""

import json
import os
import stat
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from conftest import A01, MEASURED, REFERENCE_01, ROOT, STUB_01, grade_json, run_cli, task_scores

from autograder import course, rules, submission

REFERENCE = REFERENCE_01.read_text()
STUB = STUB_01.read_text()


def zip_with(path: Path, members: list[tuple[zipfile.ZipInfo | str, str]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, text in members:
            archive.writestr(info, text)
    return path


def link_member(name: str) -> zipfile.ZipInfo:
    """A zip member that unpacks to a symbolic link (its content is the link's target)."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def zip_bomb(path: Path, gib: int = 1) -> Path:
    """A zip of about a MB whose one member, the module, inflates to ``gib`` GiB of zeros."""
    block = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)  # refers to nothing before it: repeatable
    count = gib << 10
    data = chunk * count + b"\x03\x00"  # then an empty final block
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    name = b"gradient_descent.py"
    fields = struct.pack("<HHHHHIIIHH", 20, 0, zipfile.ZIP_DEFLATED, 0, 0, crc, len(data), count << 20, len(name), 0)
    local = b"PK\x03\x04" + fields + name
    central = b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHII", 0, 0, 0, 0, 0) + name
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)
    return path


def device(path: Path) -> None:
    """A character device like /dev/zero (only root may make one)."""
    if os.geteuid() != 0:
        pytest.skip("making a device needs root")
    os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(1, 5))


def sparse(size: int) -> Callable[[Path], None]:
    """A file of ``size`` bytes that takes no room."""

    def make(path: Path) -> None:
        with open(path, "wb") as file:
            file.truncate(size)

    return make


def named(name: str, make: Callable[[Path], object]) -> Callable[[Path], Path]:
    """A submission that is the file ``name``, made by ``make``."""

    def build(tmp: Path) -> Path:
        make(tmp / name)
        return tmp / name

    return build


def in_folder(make: Callable[[Path], object], name: str = "gradient_descent.py") -> Callable[[Path], Path]:
    """A folder whose entry ``name`` is made by ``make``."""

    def build(tmp: Path) -> Path:
        (tmp / "handin").mkdir()
        make(tmp / "handin" / name)
        return tmp / "handin"

    return build


def zipped(members: Callable[[], list[tuple[zipfile.ZipInfo | str, str]]]) -> Callable[[Path], Path]:
    return lambda tmp: zip_with(tmp / "handin.zip", members())


def many_files(folder: Path) -> None:
    folder.mkdir()
    for number in range(submission.MAX_FOLDER_ENTRIES + 1):
        (folder / f"f{number}.txt").touch()


def char_device_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFCHR | 0o644) << 16
    return info


def link_to(target: str | Path) -> Callable[[Path], None]:
    return lambda path: os.symlink(target, path)


THROUGH_PROC = f"/proc/self/cwd/solutions/{A01}/gradient_descent.py"  # the reference, from the grader's folder

HOSTILE = {  # a submission that reaches beyond its own regular files, and words its refusal must hold
    "link to the reference": (named("link.py", link_to(REFERENCE_01)), "symbolic link"),
    "link through /proc/self/cwd": (named("proc.py", link_to(THROUGH_PROC)), "symbolic link"),
    "link to a folder": (named("folder", link_to(REFERENCE_01.parent)), "symbolic link"),
    "link to a zip": (named("link.zip", link_to(ROOT / "no" / "such.zip")), "symbolic link"),
    "fifo": (named("fifo.py", os.mkfifo), "not a regular file"),
    "device": (named("zero.py", device), "not a regular file"),
    "huge file": (named("huge.py", sparse(1 << 34)), "larger than 2 MiB"),
    "huge notebook": (named("huge.ipynb", sparse(1 << 34)), "larger than 2 MiB"),
    "deeply nested notebook": (
        named("nested.ipynb", lambda path: path.write_text('{"cells": ' + "[" * 100_000)),
        "not a readable notebook",
    ),
    "huge zip": (named("huge.zip", sparse(1 << 34)), "larger than 32 MiB"),
    "folder: link to the reference": (in_folder(link_to(REFERENCE_01)), "not a regular file"),
    "folder: link through /proc/self/cwd": (in_folder(link_to(THROUGH_PROC)), "not a regular file"),
    "folder: link to /dev/zero": (in_folder(link_to("/dev/zero")), "not a regular file"),
    "folder: link to a notebook elsewhere": (
        in_folder(link_to(ROOT / "assignments" / A01 / "gradient_descent.ipynb"), "mine.ipynb"),
        "not a regular file",
    ),
    "folder: fifo": (in_folder(os.mkfifo), "not a regular file"),
    "folder: device": (in_folder(device), "not a regular file"),
    "folder: huge file": (in_folder(sparse(1 << 34)), "larger than 2 MiB"),
    "folder: linked folder": (in_folder(link_to(REFERENCE_01.parent), "work"), "holds no gradient_descent.py"),
    "folder: too many files": (in_folder(many_files, "many"), "more than 10000 files"),
    "zip: link member": (
        zipped(lambda: [(link_member("gradient_descent.py"), str(REFERENCE_01))]),
        "not a regular file",
    ),
    "zip: device member": (zipped(lambda: [(char_device_member("gradient_descent.py"), "")]), "not a regular file"),
    "zip: ../": (zipped(lambda: [("../gradient_descent.py", REFERENCE)]), "leads out of its folder"),
    "zip: ..\\": (zipped(lambda: [("..\\gradient_descent.py", REFERENCE)]), "leads out of its folder"),
    "zip: absolute": (zipped(lambda: [("/tmp/gradient_descent.py", REFERENCE)]), "leads out of its folder"),
    "zip: drive letter": (zipped(lambda: [("C:/gradient_descent.py", REFERENCE)]), "leads out of its folder"),
    "zip: bomb": (lambda tmp: zip_bomb(tmp / "bomb.zip"), "larger than 2 MiB"),
    "zip: too many members": (
        zipped(lambda: [(f"f{i}.txt", "") for i in range(submission.MAX_ZIP_MEMBERS + 1)]),
        "more than 2000 files",
    ),
}

INTAKE_SLACK = 64 << 20  # what the command reads and holds besides the submission (Python, rich, nbformat)


@pytest.mark.parametrize("case", HOSTILE, ids=str)
def test_a_hostile_submission_is_refused_in_one_line_with_a_gradescope_result(tmp_path, case):
    """Refused before anything runs: one line, exit 2, results.json saying why, no points, bounded reads."""
    build, words = HOSTILE[case]
    path = build(tmp_path)
    results, measured = tmp_path / "results.json", tmp_path / "measured.json"
    wrap = (sys.executable, "-c", MEASURED, str(measured))
    done = run_cli("grade", A01, path, "--json", tmp_path / "result.json", "--gradescope", results, wrap=wrap)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and words in lines[0], (done.stdout, done.stderr)
    graded = json.loads(results.read_text())
    assert graded["score"] == 0 and graded["tests"] == [] and words in graded["output"]
    assert not (tmp_path / "result.json").exists()
    shown = done.stdout + done.stderr + results.read_text()
    assert "Traceback" not in shown and str(tmp_path) not in shown and "SOLUTION" not in shown
    usage = json.loads(measured.read_text())
    assert usage["read"] < submission.MAX_ZIP_BYTES + INTAKE_SLACK, usage  # nothing read beyond the bounds
    assert usage["peak"] < 2 * submission.MAX_ZIP_BYTES + INTAKE_SLACK, usage


def notebook_of(*sources: str) -> bytes:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return nbformat.writes(notebook).encode()


def loaded_from(tmp_path: Path, files: dict[str, bytes | str]) -> submission.LoadedSubmission:
    folder = tmp_path / "handin"
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return submission.load(folder, "gradient_descent", STUB)


def test_the_file_the_student_worked_on_is_graded_and_named(tmp_path):
    choices = {
        "stub beside a worked notebook": (
            {"gradient_descent.py": STUB, "work/gradient_descent.ipynb": notebook_of(REFERENCE)},
            "graded the notebook work/gradient_descent.ipynb: gradient_descent.py is the untouched stub",
        ),
        "both worked": (
            {"gradient_descent.py": REFERENCE, "mine.ipynb": notebook_of("def model(x, w, b):\n    return x")},
            "graded gradient_descent.py; the notebook mine.ipynb was changed too",
        ),
        "stub beside an untouched notebook": (
            {"gradient_descent.py": STUB, "gradient_descent.ipynb": notebook_of(STUB)},
            "graded gradient_descent.py",
        ),
        "a module of another name": ({"gradient_descent (1).py": REFERENCE}, "graded gradient_descent (1).py"),
        "hw1.py": ({"hw1.py": REFERENCE, "README.md": "my work"}, "graded hw1.py: there is no gradient_descent.py"),
    }
    for number, (label, (files, note)) in enumerate(choices.items()):
        loaded = loaded_from(tmp_path / str(number), files)
        assert loaded.notes[0].startswith(note), (label, loaded.notes)
        assert str(tmp_path) not in loaded.notes[0]


def test_hand_ins_that_leave_the_choice_open_are_refused_without_internal_paths(tmp_path):
    for number, files in enumerate(
        [{"a.py": REFERENCE, "b.py": REFERENCE}, {"a.ipynb": notebook_of(REFERENCE), "b.ipynb": notebook_of(REFERENCE)}]
    ):
        try:
            loaded_from(tmp_path / str(number), files)
        except submission.SubmissionFileError as error:
            assert "the submission holds" in str(error) and str(tmp_path) not in str(error)
        else:
            raise AssertionError(f"{files} was graded")


def test_a_folder_with_the_stub_and_a_worked_notebook_grades_the_notebook(tmp_path, reference_result):
    folder = tmp_path / "real" / "submission"
    folder.mkdir(parents=True)
    (folder / "gradient_descent.py").write_text(STUB)
    (folder / "my work.ipynb").write_bytes(notebook_of(REFERENCE))
    os.symlink(tmp_path / "real", tmp_path / "alias")  # the folders above the named path are the instructor's
    result = grade_json(tmp_path / "alias" / "submission", tmp_path)
    assert task_scores(result) == task_scores(reference_result)
    assert any("graded the notebook my work.ipynb" in note for note in result["notes"])


def test_an_otter_notebook_with_broken_cells_grades_every_task_it_can(tmp_path, reference_result):
    """Otter's cells are dropped; a cell that raises or does not parse is named and the others still run."""
    otter_cells = ['# Initialize Otter\nimport otter\ngrader = otter.Notebook("01_gradient_descent.ipynb")']
    notebook = notebook_of(
        *otter_cells,  # cell 1
        REFERENCE,  # cell 2
        'grader.check("model")',  # cell 3
        "losses = []\nprint(undefined_name)",  # cell 4
        "def broken(:\n    pass",  # cell 5
        'text = """a\nb"""\nassert text == "a\\nb"\nfor _ in range(2):\n    ratio = 1 / 0',  # cell 6
        "grader.check_all()",  # cell 7
    )
    path = tmp_path / "otter.ipynb"
    path.write_bytes(notebook)
    result = grade_json(path, tmp_path)
    assert task_scores(result) == task_scores(reference_result)
    notes = "\n".join(result["notes"])
    assert "cells 1, 3, 7" in notes and "cell 5 has a syntax error" in notes
    assert "cell 4 raised NameError (line 2 of cell 4)" in notes
    assert "cell 6 raised ZeroDivisionError (line 5 of cell 6)" in notes  # the string kept its text


def test_the_notebooks_own_import_of_check_is_not_the_students_code():
    nb = nbformat.v4.new_notebook()
    preamble = nbformat.v4.new_code_cell(f"{submission.CHECK_IMPORT}\n\nimport torch")
    nb.cells = [preamble, nbformat.v4.new_code_cell(REFERENCE)]
    graded = submission.notebook_source(nbformat.writes(nb).encode(), "gradient_descent.ipynb").checked_source
    history = "\n".join(submission.without_check_import(cell.source) for cell in nb.cells)  # what check() reads
    forbid = course.load(A01, ROOT).task("grad_fn").forbid
    for source in (graded, history):
        assert "import check" not in source and rules.find_violations(source, "grad_fn", forbid) == []
    renamed = rules.find_violations(f"{submission.CHECK_IMPORT} as grade\n{REFERENCE}", "grad_fn", forbid)
    assert renamed and renamed[0].used == "`autograder.notebook.check`, the grader's own code"
