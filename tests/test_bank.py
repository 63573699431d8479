"""`bank.compose`: a bank entry holds only the definitions it changes; the reference supplies the rest."""

import ast

from autograder.bank import compose

REFERENCE = '''"""A reference module."""

import torch

SCALE = 2.0


def model(x, w, b):
    return w * x + b


@torch.no_grad()
def predict(x):
    return model(x, 1.0, 0.0)


class Net:
    def forward(self, x):
        return x
'''


def defined(source: str) -> dict[str, str]:
    """Each top-level name of ``source`` with the source text of its statement."""
    tree = ast.parse(source)
    names = {}
    for node in tree.body:
        for name in [getattr(node, "name", None), *(t.id for t in getattr(node, "targets", []) if hasattr(t, "id"))]:
            if name:
                names[name] = ast.get_source_segment(source, node)
    return names


def test_a_changed_function_replaces_its_namesake_in_place():
    composed = compose(REFERENCE, "def model(x, w, b):\n    return w * (x + b)\n")
    names = defined(composed)
    assert names["model"] == "def model(x, w, b):\n    return w * (x + b)"
    assert list(names) == ["SCALE", "model", "predict", "Net"]  # same place, the rest untouched
    assert "return w * x + b" not in composed


def test_a_decorated_definition_is_replaced_with_its_decorators():
    composed = compose(REFERENCE, "def predict(x):\n    return model(x, 2.0, 0.0)\n")
    assert "@torch.no_grad()" not in composed
    assert defined(composed)["predict"] == "def predict(x):\n    return model(x, 2.0, 0.0)"


def test_a_changed_constant_and_class_replace_theirs():
    composed = compose(REFERENCE, "SCALE = 3.0\n\n\nclass Net:\n    pass\n")
    names = defined(composed)
    assert names["SCALE"] == "SCALE = 3.0" and names["Net"] == "class Net:\n    pass"
    assert composed.count("SCALE =") == 1 and composed.count("class Net") == 1


def test_new_definitions_go_at_the_end_and_imports_at_the_top():
    composed = compose(REFERENCE, "import math\n\n\ndef helper(x):\n    return math.sqrt(x)\n")
    assert composed.splitlines()[0] == "import math"
    assert list(defined(composed)) == ["SCALE", "model", "predict", "Net", "helper"]
    namespace: dict = {}
    exec(compile(composed, "composed", "exec"), namespace)
    assert namespace["helper"](9.0) == 3.0 and namespace["model"](1.0, 2.0, 3.0) == 5.0


def test_no_changes_give_the_reference_back():
    assert defined(compose(REFERENCE, "")) == defined(REFERENCE)
