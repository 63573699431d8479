"""When grading, a property test runs on the examples Hypothesis draws for it, drawn once on the
reference and replayed in Hypothesis's order for every submission, stopping at the first failure."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.testing import replay
from autograder.testing.plugin import AutograderPlugin

GRADING = settings.get_profile(f"{AutograderPlugin.hypothesis_profile}-grading")


def property_test(seen: list) -> Callable:
    """A fresh ``@given`` test with a draw in its body; it notes every example it runs on in ``seen``."""

    @settings(GRADING)
    @given(n=st.integers(0, 1000), data=st.data())
    def test_sizes(submission, n, data):
        items = data.draw(st.lists(st.integers(0, 9), max_size=n % 7))
        seen.append((n, list(items)))
        assert submission(n, items) == len(items)

    return test_sizes


def counts(n: int, items: list) -> int:
    return len(items)


def hypothesis_examples() -> list:
    """The examples real Hypothesis runs a passing submission on (without the constants it mines)."""
    examples: list = []
    with replay.without_local_constants():
        property_test(examples)(submission=counts)
    return examples


def test_every_submission_runs_on_the_examples_hypothesis_draws_in_its_order():
    drawn = hypothesis_examples()
    seen: list = []
    test = property_test(seen)
    replay.run(test, {"submission": counts}, counts, visible=False)  # records on the reference, then replays
    replay.run(test, {"submission": counts}, counts, visible=False)  # replays only
    assert len(drawn) == 25
    assert seen == drawn * 3


def test_the_examples_do_not_depend_on_what_the_process_imported(tmp_path, monkeypatch):
    before: list = []
    replay.run(property_test(before), {"submission": counts}, counts, visible=False)
    (tmp_path / "constants_here.py").write_text("SIZES = [777, 778, 779, 3, 5, 999]\n")
    monkeypatch.syspath_prepend(tmp_path)
    __import__("constants_here")
    after: list = []
    replay.run(property_test(after), {"submission": counts}, counts, visible=False)
    assert after == before


def test_a_failing_submission_stops_at_its_first_failing_example_as_hypothesis_does():
    drawn = hypothesis_examples()
    seen: list = []

    def wrong_on_large(n: int, items: list) -> int:
        return len(items) + (n > 500)

    with pytest.raises(AssertionError) as failure:
        replay.run(property_test(seen), {"submission": wrong_on_large}, counts, visible=True)
    first_failing = next(i for i, (n, _) in enumerate(drawn) if n > 500)
    assert seen[25:] == drawn[: first_failing + 1]
    n, items = drawn[first_failing]
    assert failure.value.__notes__ == [f"Falsifying example: test_sizes(n={n})\nDraw 1: {items!r}"]


def test_a_hidden_test_shows_no_example():
    with pytest.raises(AssertionError) as failure:
        replay.run(property_test([]), {"submission": lambda n, items: -1}, counts, visible=False)
    assert not getattr(failure.value, "__notes__", [])


def test_draws_that_depend_on_the_submission_cannot_be_replayed():
    @settings(GRADING)
    @given(data=st.data())
    def test_depends(submission, data):
        data.draw(st.integers(0, submission()))

    with pytest.raises(replay.ReplayError):
        replay.run(test_depends, {"submission": lambda: 7}, lambda: 5, visible=False)
