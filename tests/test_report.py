"""The class report and the feedback pages: built from a real ``grade-all`` run, rendered in a real
headless browser, and a student's page shows nothing a hidden test keeps secret."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import A01, REFERENCE_01, ROOT, STUB_01, run_cli

from autograder import bank, course, similarity

SECTIONS = ("scores", "pass-rates", "mistakes", "unmatched", "speed", "similar", "curves")
INJECTED = "<script>alert(1)</script>"
# A copy of the reference with its local names changed and comments added: alike once normalised.
RENAMES = {"squared_diffs": "sq", "dloss_dyhat": "delta", "dloss_dw": "gw", "dloss_db": "gb"}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def renamed_copy() -> str:
    source = REFERENCE_01.read_text()
    for old, new in RENAMES.items():
        source = source.replace(old, new)
    return source.replace("    # END SOLUTION\n", "    # my own work\n")


class Elements(HTMLParser):
    """Counts of tags, ids present, the text of every figcaption and all text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.ids: set[str] = set()
        self.captions: list[str] = []
        self.text: list[str] = []
        self._in_caption = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.ids.update(value for name, value in attrs if name == "id" and value)
        self._in_caption = tag == "figcaption"
        if tag in ("script", "img", "link", "iframe"):
            raise AssertionError(f"the page holds a <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_caption = self._in_caption and tag != "figcaption"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_caption:
            self.captions.append(data)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """grade-all on one warm worker: the reference, a renamed copy, a bank mistake and a hostile stub;
    then a visible and a hidden test of each result are given loss curves, and ``gradebook`` rebuilds."""
    root = tmp_path_factory.mktemp("report")
    submissions, out = root / "submissions", root / "out"
    submissions.mkdir()
    assignment = course.load(A01, ROOT)
    mistake = next(entry for entry in bank.entries(assignment) if entry.kind == "wrong")
    shutil.copy(REFERENCE_01, submissions / "ada.py")
    (submissions / "ann.py").write_text(renamed_copy())
    (submissions / "cy.py").write_text(mistake.source(assignment))
    hostile = f"\n\ndef dmodel_db(x, w, b):\n    raise ValueError({INJECTED!r})\n"
    (submissions / "bo.py").write_text(STUB_01.read_text() + hostile)
    done = run_cli("grade-all", A01, submissions, "--out", out, "--jobs", "1", "--max-call-seconds", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / "report.html").is_file() and (out / "feedback" / "cy.html").is_file(), done.stdout
    for path in (out / "results").glob("*.json"):
        record = json.loads(path.read_text())
        training = next(task for task in record["result"]["tasks"] if task["name"] == "training_loop")
        visible = next(test for test in training["tests"] if test["visibility"] == "visible" and test["max_score"])
        hidden = next(test for test in training["tests"] if test["visibility"] == "hidden")
        hidden["metrics"] = {"loss": [9.0, 8.0, float("inf")], "reference_loss": [9.0, 7.0, 6.0]}
        if path.stem != "ada":  # ada's only curve is a hidden test's
            visible["metrics"] = {"loss": [1.0, 0.5, 0.25], "reference_loss": [1.0, 0.4, 0.2]}
        path.write_text(json.dumps(record))
    done = run_cli("gradebook", out)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_report_ranks_mistakes_groups_the_unmatched_and_pairs_alike_code(graded):
    html = (graded / "report.html").read_text()
    page = Elements(html)
    assert set(SECTIONS) <= page.ids
    assert page.tags["svg"] == 1 + 2  # the score histogram, a visible and a hidden test's curves
    text = " ".join(page.text)
    assert "4 submissions, 4 graded" in text
    records = {p.stem: json.loads(p.read_text()) for p in (graded / "results").glob("*.json")}
    hint = next(t["hint"] for task in records["cy"]["result"]["tasks"] for t in task["tests"] if t.get("hint"))
    mistakes = html[html.index('id="mistakes"') : html.index('id="unmatched"')]
    assert hint[:40] in mistakes.replace("&#x27;", "'") and "cy" in mistakes
    unmatched = html[html.index('id="unmatched"') : html.index('id="speed"')]
    assert "bo" in unmatched and "cy" not in unmatched  # bo's failures match no mistake
    similar = html[html.index('id="similar"') : html.index('id="curves"')]
    assert "<td>ada</td><td>ann</td>" in similar
    assert "bo" not in similar  # the stub's own lines are not evidence
    assert INJECTED not in html


def test_feedback_page_holds_only_what_the_student_may_see(graded):
    cy = (graded / "feedback" / "cy.html").read_text()
    page = Elements(cy)
    assert page.tags.get("svg") == 1  # the visible test's curve; the hidden test's is never drawn
    record = json.loads((graded / "results" / "cy.json").read_text())
    training = next(task for task in record["result"]["tasks"] if task["name"] == "training_loop")
    visible = next(t["name"] for t in training["tests"] if t.get("metrics") and t["visibility"] == "visible")
    hidden = [t["name"] for t in training["tests"] if t["visibility"] == "hidden"]
    assert page.captions == [f"training_loop: {visible}"]
    assert not any(name in caption for name in hidden for caption in page.captions)
    shown = [t["message"] for task in record["result"]["tasks"] for t in task["tests"] if t["visibility"] == "visible"]
    assert cy.count("expected [") == sum(message.count("expected [") for message in shown) > 0  # none of a hidden test
    assert "# my own work" not in cy and "def " not in cy  # no source
    ada = Elements((graded / "feedback" / "ada.html").read_text())
    assert "svg" not in ada.tags and "no curves recorded" in " ".join(ada.text)  # only a hidden test had one
    bo = (graded / "feedback" / "bo.html").read_text()
    assert INJECTED not in bo and "&lt;script&gt;" in bo  # a submission's text is shown, escaped, never run


def test_similarity_ignores_names_comments_and_the_stub():
    stub = STUB_01.read_text()
    reference = similarity.fingerprints(REFERENCE_01.read_text(), stub)
    assert similarity.fingerprints(renamed_copy(), stub) == reference
    assert similarity.fingerprints(stub, stub) == set()
    cut_short = similarity.fingerprints(REFERENCE_01.read_text() + "\ndef broken(:\n    '''", stub)
    assert len(cut_short & reference) / len(reference) > 0.9  # what comes before a tokenizing error counts


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_report_renders_in_a_headless_browser(graded, tmp_path):
    browser = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    url = (graded / "report.html").as_uri()
    dom = subprocess.run([*browser, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    page = Elements(dom)
    assert set(SECTIONS) <= page.ids and page.tags.get("svg") == 3
    shot = tmp_path / "report.png"
    subprocess.run([*browser, "--window-size=1000,1400", f"--screenshot={shot}", url], timeout=120, check=True)
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] == 1400 and pixels[..., :3].std() > 0.05  # not blank
