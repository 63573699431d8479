"""`autograder demo`, the main job: every assignment's bundled examples graded and shown."""

import re

from conftest import run_cli

from autograder import course


def test_demo_grades_reference_stub_and_a_typical_mistake_of_every_assignment():
    done = run_cli("demo", timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    for assignment in course.all_assignments():
        assert f"{assignment.id}: the reference solution" in done.stdout
        assert f"{assignment.id}: the untouched stub" in done.stdout
        assert f"{assignment.id}: a typical mistake" in done.stdout
    totals = re.findall(r"total\s*│\s*([\d.]+)/([\d.]+)", done.stdout)
    assert len(totals) == 3 * len(course.all_assignments())
    for (ref, ref_max), (stub, _), (mistake, mistake_max) in zip(totals[0::3], totals[1::3], totals[2::3], strict=True):
        assert ref == ref_max and stub == "0" and 0 < float(mistake) < float(mistake_max)
