"""Single source: stubs, notebooks and rules are generated from references and manifests and must not drift."""

import ast

import nbformat
import pytest
from conftest import A01, run_cli

from autograder import authoring, course, rules

GENERATED = ("README.md", "gradient_descent.py", "gradient_descent.ipynb")


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
    done = run_cli("--course", tmp_path, "sync", A01, "--check")
    assert done.returncode == 1 and "out of date" in done.stdout
    assert run_cli("--course", tmp_path, "sync").returncode == 0
    assert run_cli("--course", tmp_path, "sync", "--check").returncode == 0
    assert "Mean squared error" in stub.read_text()


def test_unpaired_markers_are_reported():
    with pytest.raises(authoring.MarkerError):
        authoring.make_stub("def f():\n    # BEGIN SOLUTION\n    return 1\n")
    with pytest.raises(authoring.MarkerError):
        authoring.make_stub("def f():\n    return 1\n    # END SOLUTION\n")


def test_a_rule_written_once_in_the_manifest_is_rendered_by_sync_everywhere_students_read_it(tmp_path):
    import shutil

    from conftest import ROOT

    for folder in ("assignments", "solutions"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    public, solutions = tmp_path / "assignments" / A01, tmp_path / "solutions" / A01
    manifest = public / "assignment.toml"
    text = manifest.read_text().replace("no autograd: compute the gradient by the chain rule", "by hand, no autograd")
    manifest.write_text(text[: text.index('rule = "no autograd and no torch.optim')])  # training_loop: no rule
    expected = public / "expected.json"
    values = expected.read_text()
    expected.write_text(values.replace("0.5313600014", "0.53136"))  # a value not the reference's
    done = run_cli("--course", tmp_path, "sync", A01, "--check")
    assert done.returncode == 1
    generated = [solutions / "gradient_descent.py", expected, *(public / name for name in GENERATED)]
    assert all(f"out of date: {path}" in done.stdout for path in generated), done.stdout
    assert run_cli("--course", tmp_path, "sync", A01).returncode == 0
    rule = "Rule: by hand, no autograd. Not allowed: ``backward``, ``torch.autograd``,"
    for path in (solutions / "gradient_descent.py", public / "gradient_descent.py"):
        docstrings = docstrings_of(path.read_text())
        assert rule in docstrings["grad_fn"] and "Rule:" not in docstrings["training_loop"]
    readme = (public / "README.md").read_text()
    section = readme[readme.index("## Rules") : readme.index("## ", readme.index("## Rules") + 1)]
    assert "- `grad_fn`: by hand, no autograd. Not allowed: `backward`," in section and "`training_loop`" not in section
    cells = nbformat.read(public / "gradient_descent.ipynb", as_version=4).cells
    assert any(cell.source.startswith("## 6. `grad_fn`") and rule in cell.source for cell in cells)
    assert expected.read_text() == values
    assert run_cli("--course", tmp_path, "sync", A01, "--check").returncode == 0


def docstrings_of(source: str) -> dict[str, str]:
    return {node.name: ast.get_docstring(node) or "" for node in ast.parse(source).body if hasattr(node, "name")}


MANIFEST = """\
title = "Rules"
module = "ruled"
rules_note = "Anything else is allowed."

[[tasks]]
name = "short"
rule = "no torch.mean: add up and divide yourself"
forbid = ["torch.mean"]

[[tasks]]
name = "documented"
rule = "no library softmax"
forbid = ["softmax", "log_softmax"]

[[tasks]]
name = "free"
"""

REFERENCE = '''\
"""A module."""


def short(x):
    """The mean of ``x``."""
    return x.sum() / x.numel()


def documented(x):
    """Softmax.

    Rule: an old rule
    on two lines.

    Returns:
        A tensor.
    """
    return x


def free(x):
    """No rule here.

    Rule: a rule that is no longer the manifest's.
    """
    return x
'''


def test_rules_go_into_docstrings_before_their_sections_and_nowhere_else(tmp_path):
    public, solutions = tmp_path / "assignments" / "09_rules", tmp_path / "solutions" / "09_rules"
    public.mkdir(parents=True)
    solutions.mkdir(parents=True)
    (public / "assignment.toml").write_text(MANIFEST)
    (public / "README.md").write_text(
        "# Rules\n\n## Tasks\n\nSome.\n\n## Rules\n\nOld.\n\n## Checking\n\nRun pytest.\n"
    )
    (solutions / "ruled.py").write_text(REFERENCE)
    assignment = course.load("09_rules", tmp_path)
    docstrings = docstrings_of(authoring.reference_text(assignment))
    assert docstrings["short"] == (
        "The mean of ``x``.\n\nRule: no torch.mean: add up and divide yourself. Not allowed: ``torch.mean``."
    )
    assert docstrings["documented"] == (
        "Softmax.\n\nRule: no library softmax. Not allowed: ``softmax`` or ``log_softmax``.\n\nReturns:\n    A tensor."
    )
    assert docstrings["free"] == "No rule here."
    (solutions / "ruled.py").write_text(authoring.reference_text(assignment))
    assert authoring.reference_text(assignment) == (solutions / "ruled.py").read_text(), "sync twice changes nothing"
    readme = authoring.readme_text(assignment)
    assert readme.startswith("# Rules\n\n## Tasks\n\nSome.\n\n## Rules\n\n- `short`: no torch.mean")
    assert "- `documented`: no library softmax. Not allowed: `softmax` or `log_softmax`.\n\nAnything else" in readme
    last = f"`{rules.LIBRARIES[-1]}`."  # how the rules are checked ends the section, naming what may be imported
    assert "Old." not in readme and readme.endswith(f"{last}\n\n## Checking\n\nRun pytest.\n")


def test_a_rule_without_its_names_or_a_task_without_a_docstring_is_a_one_line_error(tmp_path):
    public, solutions = tmp_path / "assignments" / "09_rules", tmp_path / "solutions" / "09_rules"
    public.mkdir(parents=True)
    solutions.mkdir(parents=True)
    (public / "assignment.toml").write_text(MANIFEST.replace('forbid = ["torch.mean"]\n', ""))
    with pytest.raises(course.CourseError, match=r"assignment.toml:\d+: task 1 needs both a rule .* and forbid"):
        course.load("09_rules", tmp_path)
    (public / "assignment.toml").write_text(MANIFEST)
    (solutions / "ruled.py").write_text(REFERENCE.replace('    """The mean of ``x``."""\n', ""))
    with pytest.raises(course.CourseError, match=r"ruled.py:4: short needs a docstring to carry its rule"):
        authoring.reference_text(course.load("09_rules", tmp_path))
