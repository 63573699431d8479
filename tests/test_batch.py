"""``grade-all`` and ``gradebook``: a class graded on warm workers gets exactly what ``grade`` gives
each submission alone; results last, shards merge, platform layouts name their students."""

from __future__ import annotations

import csv
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import A01, REFERENCE_01, ROOT, STUB_01, interruptible, run_cli

from autograder import bank, course, layouts
from autograder.grading import grade

HOSTILE = """
import torch, json, pathlib

torch.allclose = lambda *a, **k: True  # only the sandbox's torch
pathlib.Path("results.json").write_text(json.dumps({"score": 100}))
print("x" * 100_000)

def training_loop(n_epochs, learning_rate, params, x, y):
    while True:
        pass
"""
CRASHING = "import os\nos._exit(3)\n"
LIMIT = ("--max-call-seconds", "1")


def mixed_class(folder: Path) -> Path:
    """The reference, the stub, two known mistakes, a hostile, a crashing, an unreadable and a linked one."""
    folder.mkdir()
    assignment = course.load(A01, ROOT)
    shutil.copy(REFERENCE_01, folder / "ada.py")
    shutil.copy(STUB_01, folder / "bo.py")
    wrong = [entry for entry in bank.entries(assignment) if entry.kind == "wrong"][:2]
    for name, entry in zip(("cy", "di"), wrong, strict=True):
        (folder / f"{name}.py").write_text(entry.source(assignment))
    (folder / "eve.py").write_text(REFERENCE_01.read_text() + HOSTILE)
    (folder / "fay.py").write_text(CRASHING)
    (folder / "gus.txt").write_text("not a module")
    (folder / "hal").mkdir()
    (folder / "hal" / "gradient_descent.py").symlink_to(REFERENCE_01)
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """One grade-all run of the mixed class on two warm workers."""
    root = tmp_path_factory.mktemp("class")
    submissions, out = mixed_class(root / "submissions"), root / "out"
    done = run_cli("grade-all", A01, submissions, "--out", out, "--jobs", "2", *LIMIT)
    return submissions, out, done


def stored(out: Path, key: str) -> dict:
    return json.loads((out / "results" / f"{key}.json").read_text())


def gradebook_rows(path: Path) -> list[dict]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_every_result_is_what_grade_gives_the_submission_alone(graded):
    submissions, out, done = graded
    assert done.returncode == 0, done.stdout + done.stderr
    assignment = course.load(A01, ROOT)
    for key in ("ada", "bo", "cy", "di", "eve", "fay"):
        alone = grade(assignment, submissions / f"{key}.py", max_call_seconds=1).to_dict()
        record = stored(out, key)
        assert record["error"] == ""
        assert record["result"]["tasks"] == alone["tasks"], key  # every test's status, score and message
        assert record["module_source"] == (submissions / f"{key}.py").read_text()
    assert stored(out, "ada")["result"]["score"] == stored(out, "ada")["result"]["max_score"] > 0
    assert stored(out, "bo")["result"]["score"] == 0
    assert stored(out, "fay")["result"]["score"] == 0


def test_unreadable_and_linked_submissions_get_a_row_with_the_reason(graded):
    _, out, done = graded
    assert "expected a .py module" in stored(out, "gus")["error"]
    assert "symbolic link" in stored(out, "hal")["error"]  # the reference, linked in, earns nothing
    rows = {row["key"]: row for row in gradebook_rows(out / "gradebook.csv")}
    assert set(rows) == {"ada", "bo", "cy", "di", "eve", "fay", "gus", "hal"}
    assert rows["hal"]["total"] == "0" and "symbolic link" in rows["hal"]["error"]
    assert float(rows["ada"]["total"]) == float(rows["ada"]["max_score"]) > 0
    assert "2 could not be graded" in done.stdout


def test_junit_files_report_each_test(graded):
    _, out, _ = graded
    stub = (out / "junit" / "bo.xml").read_text()
    assert '<testsuite name="model" tests="3" failures="0" errors="3"' in stub and "NotImplementedError" in stub
    assert "<failure" in (out / "junit" / "cy.xml").read_text()  # a known mistake fails its checks
    assert '<error message="the submission holds a symbolic link' in (out / "junit" / "hal.xml").read_text()


def test_a_rerun_grades_only_what_changed_and_an_edited_test_regrades_all(tmp_path):
    course_root = tmp_path / "course"
    for part in ("assignments", "solutions"):
        shutil.copytree(ROOT / part / A01, course_root / part / A01)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(REFERENCE_01, submissions / "ada.py")
    (submissions / "fay.py").write_text(CRASHING)
    out = tmp_path / "out"
    command = ("--course", course_root, "grade-all", A01, submissions, "--out", out, "--jobs", "1", *LIMIT)
    assert run_cli(*command).returncode == 0
    first = stored(out, "ada")

    (submissions / "fay.py").write_text(STUB_01.read_text())  # fay hands in again
    again = run_cli(*command)
    assert "1 already graded, 1 to grade" in again.stdout, again.stdout
    assert stored(out, "ada") == first and stored(out, "fay")["error"] == ""

    hidden = course_root / "solutions" / A01 / "test_hidden.py"
    hidden.write_text(hidden.read_text() + "\n# clarified\n")
    views = run_cli("--course", course_root, "gradebook", out)
    assert views.returncode == 0, views.stdout + views.stderr
    assert [row["stale"] for row in gradebook_rows(out / "gradebook.csv")] == ["stale", "stale"]
    assert "0 already graded, 2 to grade" in run_cli(*command).stdout
    assert [row["stale"] for row in gradebook_rows(out / "gradebook.csv")] == ["", ""]


def test_shards_merge_into_the_gradebook_of_one_run(graded, tmp_path):
    submissions, out, _ = graded
    shards = [tmp_path / f"shard{k}" for k in (1, 2, 3)]
    command = [sys.executable, "-m", "autograder", "grade-all", A01, str(submissions), "--jobs", "1", *LIMIT]
    processes = [
        subprocess.Popen([*command, "--out", str(shard), "--shard", f"{k}/3"], cwd=ROOT, stdout=subprocess.DEVNULL)
        for k, shard in enumerate(shards, start=1)
    ]
    assert [process.wait(timeout=600) for process in processes] == [0, 0, 0]
    keys = [{path.stem for path in (shard / "results").glob("*.json")} for shard in shards]
    assert sum(map(len, keys)) == 8 and set.union(*keys) == {p.stem for p in (out / "results").glob("*.json")}
    done = run_cli("gradebook", *shards, "--out", tmp_path / "merged")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "merged" / "gradebook.csv").read_text() == (out / "gradebook.csv").read_text()


def test_ctrl_c_stops_cleanly_and_a_rerun_goes_on(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name in ("a1", "a2", "a3", "a4", "a5", "a6"):
        shutil.copy(REFERENCE_01, submissions / f"{name}.py")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade-all", A01, str(submissions), "--out", str(out), "--jobs", "1"]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=interruptible
    )
    deadline = time.monotonic() + 300
    while not list((out / "results").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)  # as the terminal does: the whole process group
    stdout, _ = process.communicate(timeout=120)
    assert process.returncode == 130, stdout
    assert "run the same command again to go on" in stdout
    graded = len(list((out / "results").glob("*.json")))
    assert 1 <= graded < 6 and not list((out / "results").glob("*.partial"))
    again = run_cli("grade-all", A01, submissions, "--out", out, "--jobs", "1")
    assert again.returncode == 0 and f"{graded} already graded, {6 - graded} to grade" in again.stdout


def test_bad_input_is_one_clear_line(tmp_path):
    done = run_cli("grade-all", A01, tmp_path / "nowhere", "--out", tmp_path / "out")
    assert done.returncode == 2 and "no such file or folder" in done.stdout
    (tmp_path / "empty").mkdir()
    done = run_cli("grade-all", A01, tmp_path / "empty", "--out", tmp_path / "out", "--shard", "4/3")
    assert done.returncode == 2 and "--shard 4/3" in done.stdout
    assert run_cli("gradebook", tmp_path / "empty").returncode == 2


# --- layouts: who handed in what (no grading needed) ---------------------------------------------


def test_gradescope_export_zip_names_every_submitter(tmp_path):
    export = tmp_path / "export.zip"
    metadata = """submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '9001'
    :email: ada@example.edu
submission_102:
  :submitters:
  - :name: Bo Chen
    :sid: '9002'
    :email: bo@example.edu
  - :name: Cy Diaz
    :sid: '9003'
    :email: cy@example.edu
"""
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("assignment_5_export/submission_metadata.yml", metadata)
        archive.writestr("assignment_5_export/submission_101/gradient_descent.py", "x = 1\n")
        archive.writestr("assignment_5_export/submission_102/work/gradient_descent.py", "x = 2\n")
    found = layouts.discover(export, tmp_path / "staging")
    assert [item.key for item in found] == ["submission_101", "submission_102"]
    assert found[0].student == layouts.Student("Ada Lovelace", "9001", "", "ada@example.edu")
    assert [s.name for s in found[1].co_submitters] == ["Cy Diaz"] and not found[1].problem


def test_canvas_download_groups_files_by_student_and_marks_late_ones(tmp_path):
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "lovelaceada_1234_5001_gradient_descent.py").write_text("old = 1\n")
    (folder / "lovelaceada_1234_5002_gradient_descent-1.py").write_text("new = 1\n")
    (folder / "chenbo_LATE_1235_5003_gradient_descent.py").write_text("x = 1\n")
    (folder / "o_briendi_late_1236_5004_gradient_descent.py").write_text("x = 1\n")  # a name with "_"
    roster = tmp_path / "canvas.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (77)\n"
        "    Points Possible,,,,,32\n"
        '"Lovelace, Ada",1234,S1,ada,Sec 1,\n'
        '"Chen, Bo",1235,S2,bo,Sec 1,\n'
    )
    found = layouts.discover(folder, tmp_path / "staging", layouts.read_roster(roster))
    assert [(item.key, item.late, item.student.name) for item in found] == [
        ("canvas-1234", False, "Lovelace, Ada"),
        ("canvas-1235", True, "Chen, Bo"),
        ("canvas-1236", True, ""),
    ]
    assert (found[0].path / "gradient_descent.py").read_text() == "new = 1\n"  # the resubmission wins
    assert found[2].student.login == "o_briendi"


def test_classroom_clones_are_named_by_login(tmp_path):
    for login in ("ada-l", "bochen"):
        (tmp_path / "clones" / f"hw1-gradient-descent-{login}" / ".git").mkdir(parents=True)
    found = layouts.discover(tmp_path / "clones", tmp_path / "staging")
    assert [(item.key, item.student.login) for item in found] == [("ada-l", "ada-l"), ("bochen", "bochen")]


def test_canvas_import_is_filled_from_the_exported_gradebook(tmp_path):
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    record = {
        "format": 1,
        "key": "canvas-1234",
        "student": {"name": "", "id": "1234", "login": "lovelaceada", "email": ""},
        "co_submitters": [],
        "assignment": A01,
        "late": False,
        "error": "",
        "result": {"score": 30.0, "max_score": 32.0, "tasks": [{"name": "model", "score": 3.0, "tests": []}]},
    }
    (out / "results" / "canvas-1234.json").write_text(json.dumps(record))
    gradescope = {"key": "submission_102", "student": {"name": "Bo Chen", "id": "S2", "login": "", "email": ""}}
    record |= gradescope | {"result": record["result"] | {"score": 12.0}}  # its sid is Canvas's SIS User ID
    (out / "results" / "submission_102.json").write_text(json.dumps(record))
    roster = tmp_path / "canvas.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,Gradient descent by hand (77)\n"
        "    Points Possible,,,,,32\n"
        '"Lovelace, Ada",1234,S1,ada,Sec 1,\n'
        '"Chen, Bo",1235,S2,bo,Sec 1,\n'
        '"Diaz, Cy",1236,S3,cy,Sec 1,\n'
    )
    done = run_cli("gradebook", out, "--roster", roster)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = gradebook_rows(out / "canvas_import.csv")
    assert [(row["Student"], row["ID"], row["Gradient descent by hand (77)"]) for row in rows] == [
        ("    Points Possible", "", "32"),
        ("Lovelace, Ada", "1234", "30"),
        ("Chen, Bo", "1235", "12"),
        ("Diaz, Cy", "1236", ""),  # no result: Canvas keeps what it has
    ]


def gradescope_export(folder: Path, handed_in: dict[str, str]) -> Path:
    """A Gradescope "Export Submissions" folder: a module and its ``:created_at:`` per submission."""
    entries = []
    for number, (key, created_at) in enumerate(handed_in.items(), start=1):
        (folder / key).mkdir(parents=True)
        (folder / key / "gradient_descent.py").write_text("x = 1\n")
        person = (
            f"  :submitters:\n  - :name: Student {number}\n    :sid: '{number}'\n    :email: s{number}@example.edu\n"
        )
        entries.append(f"{key}:\n{person}  :created_at: {created_at}\n  :score: 0.0\n")
    (folder / "submission_metadata.yml").write_text("".join(entries))
    return folder


def test_gradescope_submissions_handed_in_after_the_due_date_are_late(tmp_path):
    export = gradescope_export(
        tmp_path / "export",
        {
            "submission_1": "2026-12-01 22:04:37.861687000 Z",
            "submission_2": "2026-12-02 00:30:00.000000000 +01:00",  # 23:30 UTC: in time
            "submission_3": "2026-12-01 23:59:01.000000000 Z",
        },
    )
    due = datetime.datetime(2026, 12, 1, 23, 59, tzinfo=datetime.UTC)
    found = layouts.discover(export, tmp_path / "staging", due=due)
    assert [(item.key, item.late) for item in found] == [
        ("submission_1", False),
        ("submission_2", False),
        ("submission_3", True),
    ]
    assert found[0].submitted_at == "2026-12-01T22:04:37.861687+00:00"
    assert not any(item.late for item in layouts.discover(export, tmp_path / "staging"))  # no due date


def test_grade_all_fills_the_late_column_from_the_export_and_due(tmp_path):
    export = gradescope_export(
        tmp_path / "export",
        {"submission_1": "2026-12-01 22:04:37.861687000 Z", "submission_2": "2026-12-02 09:15:00.000000000 Z"},
    )
    out = tmp_path / "out"
    command = ("grade-all", A01, export, "--out", out, "--jobs", "1", *LIMIT)
    done = run_cli(*command, "--due", "2026-12-01T23:59+00:00")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row["key"]: row for row in gradebook_rows(out / "gradebook.csv")}
    assert [(rows[key]["late"], rows[key]["submitted_at"]) for key in sorted(rows)] == [
        ("", "2026-12-01T22:04:37.861687+00:00"),
        ("late", "2026-12-02T09:15:00+00:00"),
    ]
    assert stored(out, "submission_2")["late"] is True

    again = run_cli(*command, "--due", "2026-12-02T12:00+00:00")  # an extension for everyone
    assert "2 already graded, 0 to grade" in again.stdout, again.stdout + again.stderr
    assert [row["late"] for row in gradebook_rows(out / "gradebook.csv")] == ["", ""]

    done = run_cli(*command, "--due", "2026-12-01")
    assert done.returncode == 2 and "give a date and time" in done.stderr


def test_due_without_submission_times_says_so(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "ada.py").write_text("x = 1\n")
    done = run_cli(
        "grade-all", A01, folder, "--out", tmp_path / "out", "--jobs", "1", *LIMIT, "--due", "2026-12-01 23:59"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "do not say when they were handed in" in done.stdout
    assert gradebook_rows(tmp_path / "out" / "gradebook.csv")[0]["late"] == ""
