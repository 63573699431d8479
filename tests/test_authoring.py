"""Single source: stubs are generated from references and must not drift."""

import pytest
from conftest import run_cli

from autograder import authoring, course


@pytest.mark.parametrize("assignment", course.all_assignments(), ids=lambda a: a.id)
def test_checked_in_stub_matches_its_reference(assignment):
    assert assignment.stub_file.read_text() == authoring.stub_for(assignment), "run `autograder sync`"


def test_sync_check_reports_a_drifted_stub(tmp_path):
    import shutil

    from conftest import ROOT

    shutil.copytree(ROOT / "assignments", tmp_path / "assignments")
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    stub = tmp_path / "assignments" / "01_gradient_descent" / "gradient_descent.py"
    stub.write_text(stub.read_text().replace("Mean squared error", "Mean error"))
    done = run_cli("--course", tmp_path, "sync", "--check")
    assert done.returncode == 1 and "out of date" in done.stdout
    assert run_cli("--course", tmp_path, "sync").returncode == 0
    assert run_cli("--course", tmp_path, "sync", "--check").returncode == 0
    assert "Mean squared error" in stub.read_text()


def test_unpaired_markers_are_reported():
    with pytest.raises(authoring.MarkerError):
        authoring.make_stub("def f():\n    # BEGIN SOLUTION\n    return 1\n")
    with pytest.raises(authoring.MarkerError):
        authoring.make_stub("def f():\n    return 1\n    # END SOLUTION\n")
