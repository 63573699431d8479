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
    """grade-all on one warm worker: the reference, a renamed copy, two bank mistakes (one whose
    training diverges), a hostile stub and a message no UTF-8 file can hold; then ``gradebook``
    rebuilds the views from the results."""
    root = tmp_path_factory.mktemp("report")
    submissions, out = root / "submissions", root / "out"
    submissions.mkdir()
    assignment = course.load(A01, ROOT)
    wrong = {entry.name: entry for entry in bank.entries(assignment) if entry.kind == "wrong"}
    shutil.copy(REFERENCE_01, submissions / "ada.py")
    (submissions / "ann.py").write_text(renamed_copy())
    (submissions / "cy.py").write_text(wrong["loss_fn_sums"].source(assignment))
    (submissions / "di.py").write_text(wrong["grad_fn_sums"].source(assignment))
    hostile = f"\n\ndef dmodel_db(x, w, b):\n    raise ValueError({INJECTED!r})\n"
    lone_surrogate = "\n\ndef dmodel_dw(x, w, b):\n    raise ValueError('\\ud800')\n"  # text no UTF-8 file can hold
    (submissions / "bo.py").write_text(STUB_01.read_text() + hostile + lone_surrogate)
    done = run_cli("grade-all", A01, submissions, "--out", out, "--jobs", "1", "--max-call-seconds", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (out / "report.html").is_file() and (out / "feedback" / "cy.html").is_file(), done.stdout
    done = run_cli("gradebook", out)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def training_tests(graded: Path, key: str) -> list[dict]:
    record = json.loads((graded / "results" / f"{key}.json").read_text())
    return next(task for task in record["result"]["tasks"] if task["name"] == "training_loop")["tests"]


def test_report_ranks_mistakes_groups_the_unmatched_and_pairs_alike_code(graded):
    html = (graded / "report.html").read_text()
    page = Elements(html)
    assert set(SECTIONS) <= page.ids
    assert page.tags["svg"] == 1 + 3  # the score histogram, the curves of a visible and two hidden tests
    text = " ".join(page.text)
    assert "5 submissions, 5 graded" in text
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


def test_every_training_test_records_the_submissions_curve_beside_the_references(graded):
    curves = {key: [test["metrics"] for test in training_tests(graded, key)] for key in ("ada", "ann", "cy", "di")}
    recorded = [index for index, metrics in enumerate(curves["ada"]) if metrics]
    assert len(recorded) == 3  # every test of training_loop that checks losses over several epochs
    for key, metrics in curves.items():
        assert [index for index, found in enumerate(metrics) if found] == recorded, key
        for index in recorded:
            assert set(metrics[index]) == {"loss", "reference_loss"}
            assert metrics[index]["reference_loss"] == curves["ada"][index]["reference_loss"]  # one reference
    for index in recorded:
        reference = curves["ada"][index]["reference_loss"]
        assert curves["ada"][index]["loss"] == pytest.approx(reference, rel=1e-4)
        assert curves["cy"][index]["loss"][0] > 10 * reference[0]  # a sum of squares, not their mean
        last = curves["di"][index]["loss"][-1]
        assert last is None or last > 10 * reference[-1]  # it diverges (None: it ended past any float, or NaN)
    assert not any(test["metrics"] for test in training_tests(graded, "bo"))  # the stub's loop raises
    html = (graded / "report.html").read_text()
    curves_section = Elements(html[html.index('id="curves"') :])
    names = [test["name"] for index, test in enumerate(training_tests(graded, "ada")) if index in recorded]
    assert curves_section.captions == [f"training_loop: {name} (4 submissions)" for name in names]


def test_feedback_page_holds_only_what_the_student_may_see(graded):
    cy = (graded / "feedback" / "cy.html").read_text()
    page = Elements(cy)
    assert page.tags.get("svg") == 1  # the visible test's curve; the hidden tests' are never drawn
    training = training_tests(graded, "cy")
    visible = next(t["name"] for t in training if t["metrics"] and t["visibility"] == "visible")
    hidden = [t["name"] for t in training if t["visibility"] == "hidden"]
    assert all(t["metrics"] for t in training if t["visibility"] == "hidden")  # recorded, for the report only
    assert page.captions == [f"training_loop: {visible}"]
    assert not any(name in caption for name in hidden for caption in page.captions)
    record = json.loads((graded / "results" / "cy.json").read_text())
    shown = [t["message"] for task in record["result"]["tasks"] for t in task["tests"] if t["visibility"] == "visible"]
    assert cy.count("expected [") == sum(message.count("expected [") for message in shown) > 0  # none of a hidden test
    assert "# my own work" not in cy and "def " not in cy  # no source
    bo = (graded / "feedback" / "bo.html").read_text()
    assert "<svg" not in bo and "no curves recorded" in " ".join(Elements(bo).text)
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
    assert set(SECTIONS) <= page.ids and page.tags.get("svg") == 4
    shot = tmp_path / "report.png"
    subprocess.run([*browser, "--window-size=1000,1400", f"--screenshot={shot}", url], timeout=120, check=True)
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] == 1400 and pixels[..., :3].std() > 0.05  # not blank


@pytest.mark.parametrize(
    "losses",
    [[1.79e308, -1.79e308] * 500, [float("inf"), float("-inf"), float("nan")] * 10, [-1e300, 5.0, 1e-320], [0.0]],
)
def test_a_curve_of_any_numbers_is_drawn_or_said_to_be_undrawable(losses):
    """Numbers a submission chose (the edges of float, infinities, zeros on a log scale) never break a page."""
    from autograder import pages

    drawn = pages.curves([pages.series(losses)], pages.series([0.5, 0.25, 0.125]))
    assert drawn.startswith("<svg") or "could not be drawn" in drawn


def test_a_page_is_redrawn_only_when_its_record_changes(graded):
    """A rerun leaves the feedback pages of unchanged results as they are, and redraws a changed one."""
    from autograder import batch, feedback

    out = graded
    records = batch.read_records(out)
    pages_before = {path.name: path.stat().st_mtime_ns for path in (out / "feedback").glob("*.html")}
    changed = records[0] | {"seconds": records[0]["seconds"] + 1}
    feedback.write_feedback([changed, *records[1:]], out, course.load(A01, ROOT).title)
    after = {path.name: path.stat().st_mtime_ns for path in (out / "feedback").glob("*.html")}
    assert {name for name in after if after[name] != pages_before[name]} == {f"{changed['key']}.html"}
