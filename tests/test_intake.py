"""What the grader reads from a student: only their own regular files, the file they worked on, every cell it can."""

import json
import os
import stat
import zipfile
from pathlib import Path

import nbformat
from conftest import A01, REFERENCE_01, ROOT, STUB_01, grade_json, run_cli, task_scores

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


def hostile_submissions(tmp: Path) -> list[tuple[Path, str]]:
    """Submissions that reach beyond their own regular files, with words their refusal must contain."""
    cases = []
    os.symlink(REFERENCE_01, tmp / "link.py")
    cases.append((tmp / "link.py", "symbolic link"))
    os.symlink(f"/proc/self/cwd/solutions/{A01}/gradient_descent.py", tmp / "proc.py")
    cases.append((tmp / "proc.py", "symbolic link"))
    os.mkfifo(tmp / "fifo.py")
    cases.append((tmp / "fifo.py", "not a regular file"))
    with open(tmp / "huge.py", "wb") as huge:
        huge.truncate(1 << 34)  # sparse: 16 GiB that take no room
    cases.append((tmp / "huge.py", "larger than 2 MiB"))
    for name, make in {
        "to_reference": lambda p: os.symlink(REFERENCE_01, p),
        "to_zero": lambda p: os.symlink("/dev/zero", p),
        "to_proc": lambda p: os.symlink(f"/proc/self/cwd/solutions/{A01}/gradient_descent.py", p),
        "fifo": os.mkfifo,
    }.items():
        (tmp / name).mkdir()
        make(tmp / name / "gradient_descent.py")
        cases.append((tmp / name, "not a regular file"))
    (tmp / "linked_folder").mkdir()
    os.symlink(REFERENCE_01.parent, tmp / "linked_folder" / "work")  # a folder that is a link is not entered
    cases.append((tmp / "linked_folder", "holds no gradient_descent.py"))
    cases += [
        (zip_with(tmp / "link.zip", [(link_member("gradient_descent.py"), str(REFERENCE_01))]),
         "not a regular file"),
        (zip_with(tmp / "up.zip", [("../gradient_descent.py", REFERENCE)]), "leads out of its folder"),
        (zip_with(tmp / "absolute.zip", [("/tmp/gradient_descent.py", REFERENCE)]), "leads out of its folder"),
        (zip_with(tmp / "bomb.zip", [("gradient_descent.py", "#" * (3 << 20))]), "larger than 2 MiB"),
        (zip_with(tmp / "many.zip", [(f"f{i}.txt", "") for i in range(submission.MAX_ZIP_MEMBERS + 1)]),
         "more than"),
    ]  # fmt: skip
    return cases


def test_links_fifos_devices_and_escaping_zips_are_refused(tmp_path):
    for path, words in hostile_submissions(tmp_path):
        try:
            submission.load(path, "gradient_descent", STUB)
        except submission.SubmissionFileError as error:
            assert words in str(error) and str(tmp_path) not in str(error), (path, error)
        else:
            raise AssertionError(f"{path} was read")


def test_a_refusal_is_one_line_and_a_gradescope_result(tmp_path):
    cases = hostile_submissions(tmp_path)
    results = tmp_path / "results.json"
    for path, words in [cases[0], cases[5], cases[10]]:  # a link, a folder with a /dev/zero link, a zip with ../
        done = run_cli("grade", A01, path, "--gradescope", results, timeout=120)
        lines = done.stdout.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and words in lines[0], (path, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        graded = json.loads(results.read_text())
        assert graded["score"] == 0 and graded["tests"] == [] and words in graded["output"]
        results.unlink()


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
