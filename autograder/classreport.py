"""``DIR/report.html``: one self-contained page on a whole class, for the instructor.

Built from the stored results alone (see :mod:`autograder.batch`): the score distribution,
pass rates per task and per test, the bank's known mistakes ranked by how many submissions made
them, failures that match no known mistake grouped by which tests failed and how, the slowest
and timed-out submissions, pairs of unusually alike code, and the class's loss curves against
the reference's. It shows hidden tests too: it is never given to students.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from html import escape
from pathlib import Path

from autograder import pages, similarity
from autograder.results import KNOWN_MISTAKE, PASSED, TIMEOUT, GradingResult
from autograder.testing.dependencies import FIX_FIRST

REPORT = "report.html"
SLOWEST = 10
PAIRS = 50  # the most alike pairs listed
LISTED_KEYS = 12


def mistake_of(test: dict) -> str:
    """The known mistake a failed test matched: its stable id, else (older results) the hint's text."""
    if test["status"] == PASSED:
        return ""
    if test.get("mistake"):
        return str(test["mistake"])
    for line in test.get("message", "").splitlines():
        if line.startswith(KNOWN_MISTAKE):
            return line.removeprefix(KNOWN_MISTAKE)
    return ""


def explained(task: dict, test: dict) -> bool:
    """Whether a failure is accounted for: its task matched a known mistake, or a task it uses fails."""
    return any(mistake_of(other) for other in task["tests"]) or FIX_FIRST in test.get("message", "")


def graded(records: list[dict]) -> list[dict]:
    """The graded records, each result with every field the report reads."""
    return [record | {"result": pages.normalised(record["result"])} for record in records if record.get("result")]


def tests_of(record: dict) -> list[tuple[dict, dict]]:
    """Every (task, test) of a graded record."""
    return [(task, test) for task in record["result"]["tasks"] for test in task["tests"]]


def _keys(keys: list[str]) -> str:
    shown = ", ".join(escape(key) for key in keys[:LISTED_KEYS])
    return shown + (f" and {len(keys) - LISTED_KEYS} more" if len(keys) > LISTED_KEYS else "")


def _rate(passed: int, total: int) -> str:
    share = passed / total if total else 0.0
    bar = f'<span class="bar" style="width:{share * 8:.2f}em"></span>'
    return f'<span class="rate">{bar} {share:.0%} ({passed}/{total})</span>'


def scores_section(records: list[dict]) -> list[str]:
    done = graded(records)
    errors = [record for record in records if not record.get("result")]
    body = ['<h2 id="scores">Scores</h2>']
    if not done:
        return [*body, '<p class="note">no submission was graded</p>']
    totals = [record["result"]["score"] for record in done]
    most = max(record["result"]["max_score"] for record in done)
    body.append(
        f"<p>{len(records)} submissions, {len(done)} graded: mean {statistics.mean(totals):.2f}, "
        f"median {statistics.median(totals):g}, out of {most:g}.</p>"
    )
    body.append(pages.histogram(totals, most))
    if errors:
        rows = [[escape(record["key"]), escape(record.get("error", ""))] for record in errors]
        body += [f"<p>{len(errors)} could not be graded:</p>", pages.table(["submission", "why"], rows)]
    return body


def pass_rates_section(records: list[dict]) -> list[str]:
    done = graded(records)
    tasks: dict[str, list[bool]] = defaultdict(list)
    tests: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    for record in done:
        for task in GradingResult.from_dict(record["result"]).tasks:
            tasks[task.name].append(task.line().status == PASSED)
        for task in record["result"]["tasks"]:
            for test in task["tests"]:
                tests[(task["name"], test["name"], test["visibility"])].append(test["status"] == PASSED)
    task_rows = [[escape(name), _rate(sum(passed), len(passed))] for name, passed in tasks.items()]
    test_rows = [
        [escape(task), escape(name), escape(visibility), _rate(sum(passed), len(passed))]
        for (task, name, visibility), passed in tests.items()
    ]
    return [
        '<h2 id="pass-rates">Pass rates</h2>',
        "<h3>Per task (every test passed, no rule broken)</h3>",
        pages.table(["task", "passed"], task_rows),
        "<h3>Per test</h3>",
        pages.table(["task", "test", "visibility", "passed"], test_rows),
    ]


def mistakes_section(records: list[dict]) -> list[str]:
    made: dict[str, set[str]] = defaultdict(set)
    tasks: dict[str, set[str]] = defaultdict(set)
    hints: dict[str, str] = {}
    for record in graded(records):
        for task, test in tests_of(record):
            mistake = mistake_of(test)
            if mistake:
                made[mistake].add(record["key"])
                tasks[mistake].add(task["name"])
                hints.setdefault(mistake, str(test.get("hint") or ""))
    body = ['<h2 id="mistakes">Known mistakes</h2>']
    if not made:
        return [*body, '<p class="note">no submission made a known mistake of the bank</p>']
    ranked = sorted(made, key=lambda mistake: (-len(made[mistake]), mistake))
    rows = [
        [escape(m), escape(hints[m]), escape(", ".join(sorted(tasks[m]))), str(len(made[m])), _keys(sorted(made[m]))]
        for m in ranked
    ]
    return [*body, pages.table(["mistake", "hint", "tasks", "submissions", "who"], rows, numeric=(3,))]


def unmatched_section(records: list[dict]) -> list[str]:
    groups: dict[tuple[tuple[str, str, str], ...], list[str]] = defaultdict(list)
    for record in graded(records):
        failed = tuple(
            (task["name"], test["name"], test["status"])
            for task, test in tests_of(record)
            if test["status"] != PASSED and not explained(task, test)
        )  # in the tests' order, which every result shares
        if failed:
            groups[failed].append(record["key"])
    body = [
        '<h2 id="unmatched">Failures that match no known mistake</h2>',
        "<p>Grouped by which tests failed and how: a large group may be a common mistake the bank lacks.</p>",
    ]
    if not groups:
        return [*body, '<p class="note">every failure matched a known mistake</p>']
    rows = []
    for signature, keys in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        failures = "<br>".join(f"{escape(task)}: {escape(test)} ({escape(status)})" for task, test, status in signature)
        rows.append([str(len(keys)), failures, _keys(sorted(keys))])
    return [*body, pages.table(["submissions", "failed tests", "who"], rows, numeric=(0,))]


def speed_section(records: list[dict]) -> list[str]:
    slowest = sorted(records, key=lambda record: -float(record.get("seconds", 0.0)))[:SLOWEST]
    rows = [[escape(record["key"]), f"{float(record.get('seconds', 0.0)):.2f}"] for record in slowest]
    timed_out = Counter()
    for record in graded(records):
        for _, test in tests_of(record):
            if test["status"] == TIMEOUT:
                timed_out[record["key"]] += 1
    body = ['<h2 id="speed">Slowest and timed-out submissions</h2>', pages.table(["submission", "seconds"], rows, (1,))]
    if timed_out:
        rows = [[escape(key), str(count)] for key, count in sorted(timed_out.items(), key=lambda item: -item[1])]
        body += ["<p>Timed out:</p>", pages.table(["submission", "tests timed out"], rows, numeric=(1,))]
    else:
        body.append('<p class="note">no test timed out</p>')
    return body


def similarity_section(records: list[dict], stub: str) -> list[str]:
    sources = {record["key"]: record.get("module_source", "") for record in records}
    pairs = similarity.similar_pairs(sources, stub)
    body = [
        '<h2 id="similar">Unusually alike code</h2>',
        f"<p>Pairs sharing at least {similarity.THRESHOLD:.0%} of their code's fingerprints once the stub's lines "
        "are removed and names are normalised: for you to look at, never a verdict (short correct answers "
        "look alike by nature).</p>",
    ]
    if not stub:
        body.append('<p class="note">the assignment was not at hand: the stub\'s lines were not removed</p>')
    if not pairs:
        return [*body, '<p class="note">no pair above the threshold</p>']
    rows = [[escape(pair.first), escape(pair.second), f"{pair.share:.0%}"] for pair in pairs[:PAIRS]]
    body.append(pages.table(["submission", "submission", "shared"], rows, numeric=(2,)))
    if len(pairs) > PAIRS:
        body.append(f'<p class="note">and {len(pairs) - PAIRS} less alike pairs above the threshold</p>')
    return body


def curves_section(records: list[dict]) -> list[str]:
    losses: dict[tuple[str, str], list[list[float]]] = defaultdict(list)
    references: dict[tuple[str, str], list[float] | None] = {}
    for record in graded(records):
        for task, test in tests_of(record):
            found = pages.loss_curves(test)
            if found is not None:
                where = (task["name"], test["name"])
                losses[where].append(found[0])
                references[where] = references.get(where) or found[1]
    body = ['<h2 id="curves">Loss curves</h2>']
    if not losses:
        return [*body, '<p class="note">no curves recorded</p>']
    for (task, test), curves in losses.items():
        caption = f"{escape(task)}: {escape(test)} ({len(curves)} submissions)"
        body.append(pages.figure(pages.curves(curves, references[(task, test)]), caption))
    return body


def write_report(records: list[dict], out: Path, title: str = "", stub: str = "") -> Path:
    """Write ``out/report.html`` from ``records``; ``stub`` is the stub module's text, "" when unknown."""
    assignment = title or (records[0].get("assignment", "") if records else "")
    body = [
        f"<h1>Class report: {escape(assignment)}</h1>",
        *scores_section(records),
        *pass_rates_section(records),
        *mistakes_section(records),
        *unmatched_section(records),
        *speed_section(records),
        *similarity_section(records, stub),
        *curves_section(records),
    ]
    path = out / REPORT
    path.write_text(pages.page(f"Class report: {assignment}", body), encoding="utf-8")
    return path
