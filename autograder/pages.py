"""What the class report and the feedback pages share: a self-contained HTML page and its plots.

Plots are drawn with matplotlib (no pyplot, so no global state or display) and inlined as SVG:
a page needs no network and no files beside it. Every text that comes from a result is escaped.
"""

from __future__ import annotations

import io
import math
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.results import LOSS, REFERENCE_LOSS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STYLE = (Path(__file__).parent / "templates" / "report" / "style.css").read_text()
CEILING = 100  # how far above the reference's largest loss a plot of losses reaches
MAX_POINTS = 10_000  # a curve longer than this is cut: a submission decides how long its losses are
MAX_PLOTTED = 1e30  # a loss larger than this (in size) is a gap: far past any plot's ceiling, and a range
# of numbers near float's own limit breaks the plotting library's arithmetic
# What a stored test lacking a field is read as: unknown visibility counts as hidden.
TEST_DEFAULTS = {"name": "", "status": "error", "score": 0.0, "max_score": 0.0, "visibility": "hidden", "message": ""}


def page(title: str, body: list[str]) -> str:
    """A whole HTML document: ``body`` is HTML already escaped."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def table(header: list[str], rows: list[list[str]], numeric: tuple[int, ...] = ()) -> str:
    """An HTML table; cells are HTML already escaped, columns in ``numeric`` align right."""
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    lines = [
        "<tr>" + "".join(f'<td class="number">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        for row in rows
    ]
    return f"<table><tr>{head}</tr>{''.join(lines)}</table>"


def normalised(result: dict) -> dict:
    """A stored result with every field the pages read (an older or hand-made one may lack some)."""
    tasks = [
        {
            "name": "",
            "score": 0.0,
            "max_score": 0.0,
            "rule_broken": "",
            **task,
            "tests": [TEST_DEFAULTS | test for test in task.get("tests", [])],
        }
        for task in result.get("tasks", [])
    ]
    top = {"assignment": "", "submission": "", "score": 0.0, "max_score": 0.0, "execution_time": 0.0, "notes": []}
    return top | result | {"tasks": tasks}


def series(value: object) -> list[float] | None:
    """A list of numbers from a result's ``metrics`` (non-finite values become gaps), else None."""
    if not isinstance(value, list) or not value:
        return None
    numbers = []
    for item in value[:MAX_POINTS]:
        if item is None:  # a number that was not finite when it was recorded
            numbers.append(math.nan)
            continue
        if isinstance(item, bool) or not isinstance(item, int | float):
            return None
        number = float(item)
        numbers.append(number if abs(number) <= MAX_PLOTTED else math.nan)  # NaN and infinities too
    return numbers


def svg(figure: Figure) -> str:
    """The figure as inline SVG (text kept as text, which the browser typesets; no XML prologue)."""
    from matplotlib import rc_context

    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def load_plotting() -> None:
    """Import the plotting library now: a command that draws while a Ctrl-C may come (``grade-all``
    draws as results arrive) must not be interrupted halfway through importing it."""
    import matplotlib.backends.backend_svg
    import matplotlib.figure  # noqa: F401


def new_figure(width: float = 6.0, height: float = 3.2, fixed_margins: bool = False) -> Figure:
    """A white figure laid out by matplotlib, or with fixed margins (a third of the cost, for a plot per page)."""
    # Imported here: every other command (``grade`` in a student's folder too) starts without matplotlib.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout=None if fixed_margins else "constrained")
    if fixed_margins:
        figure.subplots_adjust(left=0.15, right=0.97, bottom=0.16, top=0.95)
    figure.set_facecolor("white")
    return figure


def histogram(scores: list[float], max_score: float) -> str:
    """The distribution of total scores."""
    figure = new_figure()
    axes = figure.add_subplot()
    bins = max(1, min(20, math.ceil(max_score) or 1))
    axes.hist(scores, bins=bins, range=(0, max(max_score, 1e-9)), color="#4c72b0", edgecolor="white")
    axes.set_xlabel("total score")
    axes.set_ylabel("submissions")
    axes.yaxis.get_major_locator().set_params(integer=True)
    return svg(figure)


def curves(losses: list[list[float]], reference: list[float] | None) -> str:
    """:func:`draw_curves`, or a note where the plotting library refuses the numbers a submission chose:
    one student's curve never stops a page, a report or a batch."""
    try:
        return draw_curves(losses, reference)
    except Exception:
        return '<p class="note">these curves could not be drawn</p>'


def draw_curves(losses: list[list[float]], reference: list[float] | None) -> str:
    """Loss curves (thin) against the reference's (thick, black); a log scale when every loss is positive.

    A curve that climbs past :data:`CEILING` times the reference's largest loss leaves the plot
    there, so that one diverging run does not flatten every other curve. Drawn on every feedback
    page, so kept cheap: fixed margins, and a log scale's labels as plain text with no minor ticks
    (typesetting them is most of a plot's cost)."""
    from matplotlib import ticker

    figure = new_figure(5.0, 3.0, fixed_margins=True)
    axes = figure.add_subplot()
    alpha = 0.9 if len(losses) == 1 else max(0.15, 1 / math.sqrt(len(losses)))
    for index, loss in enumerate(losses):
        axes.plot(loss, color="#4c72b0", alpha=alpha, linewidth=1.2, label="submission" if index == 0 else None)
    if reference:
        axes.plot(reference, color="black", linewidth=2.2, linestyle="--", label="reference")
    values = [v for loss in [*losses, reference or []] for v in loss if not math.isnan(v)]
    if values and min(values) > 0:
        axes.set_yscale("log")
        axes.yaxis.set_minor_locator(ticker.NullLocator())
        axes.yaxis.set_major_formatter(ticker.LogFormatter())
    top = CEILING * max((abs(v) for v in reference or [] if not math.isnan(v)), default=0.0)
    if top > 0 and max(values) > top:
        axes.set_ylim(top=top)
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")
    axes.legend()
    return svg(figure)


def figure(svg_text: str, caption: str) -> str:
    """A plot with its caption (``caption`` is HTML already escaped)."""
    return f"<figure>{svg_text}<figcaption>{caption}</figcaption></figure>"


def loss_curves(test: dict) -> tuple[list[float], list[float] | None] | None:
    """A test's recorded (loss, reference loss), or None when it recorded no loss."""
    metrics = test.get("metrics")
    if not isinstance(metrics, dict):
        return None
    loss = series(metrics.get(LOSS))
    return None if loss is None else (loss, series(metrics.get(REFERENCE_LOSS)))
