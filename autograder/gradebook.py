"""Views of a class's stored results: the gradebook CSV, a Canvas import CSV, JUnit XML per submission,
the class report and the students' feedback pages.

All are rebuilt from the result files alone (one or more folders, e.g. the shards of one
class), so they can be regenerated at any time without grading again.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from autograder import batch, classreport, feedback, layouts
from autograder.results import FAILED, PASSED

GRADEBOOK = "gradebook.csv"
CANVAS_IMPORT = "canvas_import.csv"
JUNIT = "junit"
ROSTER = "roster.csv"


@dataclass
class Views:
    gradebook: Path
    canvas: Path | None
    junit: Path
    rows: int
    stale: int
    report: Path
    feedback: Path


def merge(folders: list[Path]) -> list[dict]:
    """The results of every folder, one per submission key (the latest grading wins), sorted by key."""
    chosen: dict[str, dict] = {}
    for folder in folders:
        for record in batch.read_records(folder):
            old = chosen.get(record["key"])
            if old is None or record.get("graded_at", "") >= old.get("graded_at", ""):
                chosen[record["key"]] = record
    return [chosen[key] for key in sorted(chosen)]


def task_names(records: list[dict]) -> list[str]:
    names: list[str] = []
    for record in records:
        for task in (record.get("result") or {}).get("tasks", []):
            if task["name"] not in names:
                names.append(task["name"])
    return names


def is_stale(record: dict, stamp: batch.Stamp | None) -> bool:
    """Graded with other tests, reference or engine than today's (never stale when unknown)."""
    if stamp is None:
        return False
    return (record.get("assignment_hash"), record.get("engine_version")) != (
        stamp.assignment_hash,
        stamp.engine_version,
    )


def people(record: dict) -> list[dict]:
    """Everyone a result counts for: the submitter and a group's other members."""
    return [record.get("student") or {}, *record.get("co_submitters", [])]


def write_views(
    records: list[dict], out: Path, stamp: batch.Stamp | None, roster: Path | None, title: str = "", stub: str = ""
) -> Views:
    """Write the gradebook, the Canvas import (when the roster is a Canvas gradebook), the JUnit files,
    the class report and the feedback pages (``stub``: the stub module's text, "" when unknown)."""
    out.mkdir(parents=True, exist_ok=True)
    tasks = task_names(records)
    rows = []
    for record in records:
        result = record.get("result") or {}
        scores = {task["name"]: task["score"] for task in result.get("tasks", [])}
        late = "late" if record.get("late") else ""
        for person in people(record):
            rows.append(
                {
                    "name": person.get("name", ""),
                    "id": person.get("id", ""),
                    "login": person.get("login", ""),
                    "email": person.get("email", ""),
                    "key": record["key"],
                    **{task: _number(scores.get(task, 0.0)) for task in tasks},
                    "total": _number(result.get("score", 0.0)),
                    "max_score": _number(result.get("max_score", 0.0)),
                    "late": late,
                    "submitted_at": record.get("submitted_at", ""),
                    "error": record.get("error", ""),
                    "stale": "stale" if is_stale(record, stamp) else "",
                }
            )
    gradebook = out / GRADEBOOK
    columns = ["name", "id", "login", "email", "key", *tasks, "total", "max_score", "late", "submitted_at"]
    columns += ["error", "stale"]
    _write_csv(gradebook, columns, rows)
    junit = write_junit(records, out / JUNIT)
    canvas = None
    if roster is not None:
        canvas = write_canvas_import(records, roster, out / CANVAS_IMPORT, title)
        if roster.resolve() != (out / ROSTER).resolve():
            shutil.copyfile(roster, out / ROSTER)
    report = classreport.write_report(records, out, title, stub)
    feedback_pages = feedback.write_feedback(records, out, title)
    return Views(gradebook, canvas, junit, len(rows), sum(is_stale(r, stamp) for r in records), report, feedback_pages)


def _number(value: float) -> str:
    return f"{value:g}"


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, columns)
        writer.writeheader()
        writer.writerows(rows)


def canvas_column(columns: list[str], assignment_id: str, title: str) -> str:
    """The gradebook's column of this assignment (``Title (12345)``), else a new one Canvas will create."""
    for column in columns:
        if column.rpartition(" (")[0].strip().lower() in (assignment_id.lower(), title.lower()):
            return column
    return title or assignment_id


def write_canvas_import(records: list[dict], roster: Path, path: Path, title: str = "") -> Path | None:
    """A CSV that Canvas's gradebook import takes: its identity columns and one column of totals.

    Only written when the roster is an exported Canvas gradebook. Students without a result keep
    an empty cell, which Canvas leaves unchanged.
    """
    with open(roster, newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        if not layouts.is_canvas_gradebook(reader.fieldnames or []):
            return None
        students = [row for row in reader if not layouts.is_canvas_points_row(row)]
    assignment = canvas_column(reader.fieldnames or [], records[0]["assignment"] if records else "assignment", title)
    by_student = {}
    for record in records:
        for person in people(record):
            student = layouts.Student(**{k: person.get(k, "") for k in ("name", "id", "login", "email")})
            row = layouts.roster_row(student, record["key"], students)
            if row is not None:
                by_student[row["ID"]] = record
    most = next((r["result"]["max_score"] for r in records if r.get("result")), 0.0)
    rows = [{**{c: "" for c in layouts.CANVAS_COLUMNS}, "Student": "    Points Possible", assignment: _number(most)}]
    for student in students:
        record = by_student.get(student["ID"])
        score = "" if record is None else _number((record.get("result") or {}).get("score", 0.0))
        rows.append({**{c: student.get(c, "") for c in layouts.CANVAS_COLUMNS}, assignment: score})
    _write_csv(path, [*layouts.CANVAS_COLUMNS, assignment], rows)
    return path


def write_junit(records: list[dict], folder: Path) -> Path:
    """One JUnit XML file per submission: a test suite per task, a test case per test."""
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        suites = ElementTree.Element("testsuites", name=record["key"])
        result = record.get("result")
        if result is None:
            suite = ElementTree.SubElement(suites, "testsuite", name=record["key"], tests="1", errors="1")
            case = ElementTree.SubElement(suite, "testcase", name="grading", classname=record["key"])
            ElementTree.SubElement(case, "error", message=record.get("error", "")[:500])
        for task in (result or {}).get("tasks", []):
            tests = task["tests"]
            failed = sum(test["status"] == FAILED for test in tests)
            errors = sum(test["status"] not in (PASSED, FAILED) for test in tests)
            counts = {"tests": str(len(tests)), "failures": str(failed), "errors": str(errors)}
            suite = ElementTree.SubElement(suites, "testsuite", name=task["name"], **counts)
            for test in tests:
                case = ElementTree.SubElement(suite, "testcase", name=test["name"], classname=task["name"])
                if test["status"] != PASSED:
                    kind = "failure" if test["status"] == FAILED else "error"
                    element = ElementTree.SubElement(case, kind, message=test["message"].split("\n")[0][:500])
                    element.text = test["message"]
        ElementTree.ElementTree(suites).write(folder / f"{record['key']}.xml", encoding="utf-8", xml_declaration=True)
    return folder
