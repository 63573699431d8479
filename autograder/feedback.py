"""``DIR/feedback/<key>.html``: a page per submission for its student.

It shows what the student would see on Gradescope and nothing more: the task table with its
hints, each test's points and message (hidden tests' messages hold no inputs or expected values:
the engine writes them that way), and loss curves of visible tests only. A hidden test's metrics
(its losses, the reference's) are never drawn, and the module's source is not shown.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from html import escape
from pathlib import Path

from autograder import batch, pages
from autograder.results import GradingResult

FEEDBACK = "feedback"
VISIBLE = "visible"


def page(record: dict, title: str = "") -> str:
    """The feedback page of one stored result."""
    assignment = title or record.get("assignment", "")
    body = [f"<h1>{escape(assignment)}</h1>", f"<p>Submission <code>{escape(record['key'])}</code></p>"]
    if not record.get("result"):
        body.append(f"<p>Nothing was graded: {escape(record.get('error', ''))}</p>")
        return pages.page(f"Feedback: {assignment}", body)
    stored = pages.normalised(record["result"])
    result = batch.result_from_dict(stored)
    body.append(f"<p><strong>{result.score:g} / {result.max_score:g} points</strong></p>")
    rows = [
        [
            f"<code>{escape(line.name)}</code>",
            line.points,
            f'<span class="{line.status}">{line.status}</span>',
            escape(line.hint),
        ]
        for line in (task.line() for task in result.tasks)
    ]
    body += ["<h2>Tasks</h2>", pages.table(["task", "points", "status", "hint"], rows, numeric=(1,))]
    body += ["<h2>Tests</h2>", pages.table(["task", "test", "points", "status", "message"], _test_rows(result))]
    body += ["<h2>Loss curves</h2>", *_curves(stored)]
    body += [f'<p class="note">note: {escape(note)}</p>' for note in result.notes]
    return pages.page(f"Feedback: {assignment}", body)


def _test_rows(result: GradingResult) -> list[list[str]]:
    rows = []
    for task in result.tasks:
        for test, line in zip(task.tests, task.test_lines(), strict=True):
            hidden = "" if test.visibility == VISIBLE else ' <span class="note">(hidden test)</span>'
            rows.append(
                [
                    escape(task.name),
                    escape(test.name) + hidden,
                    f"{line.score:g}/{line.max_score:g}",
                    f'<span class="{"passed" if line.passed else "failed"}">{escape(line.status)}</span>',
                    f"<pre>{escape(line.output)}</pre>",
                ]
            )
    return rows


def _curves(stored: dict) -> list[str]:
    """The visible tests' loss curves beside the reference's (hidden tests' are never drawn)."""
    figures = []
    for task in stored["tasks"]:
        for test in task["tests"]:
            found = pages.loss_curves(test) if test["visibility"] == VISIBLE else None
            if found is not None:
                caption = f"{escape(task['name'])}: {escape(test['name'])}"
                figures.append(pages.figure(pages.curves([found[0]], found[1]), caption))
    return figures or ['<p class="note">no curves recorded</p>']


def write_feedback(records: list[dict], out: Path, title: str = "") -> Path:
    """Write ``out/feedback/<key>.html`` for every record, skipping a page already written from the
    same record, title and engine (a rerun that grades a few submissions redraws their pages only)."""
    folder = out / FEEDBACK
    folder.mkdir(parents=True, exist_ok=True)
    engine = batch.engine_version()
    for record in records:
        made_from = hashlib.sha256(
            json.dumps([record, title, engine, pages.STYLE], sort_keys=True).encode()
        ).hexdigest()
        stamp = f'<meta name="autograder-made-from" content="{made_from}">'
        path = folder / f"{record['key']}.html"
        with contextlib.suppress(OSError, UnicodeDecodeError):
            if stamp in path.read_text(encoding="utf-8"):
                continue
        partial = path.with_suffix(".html.partial")  # whole pages or none, even when stopped halfway
        partial.write_text(page(record, title).replace("<head>", f"<head>{stamp}", 1), encoding="utf-8")
        os.replace(partial, path)
    return folder
