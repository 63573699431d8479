"""What students are told: their own function's name, the task to fix first, and nothing a hidden input chose."""

import shutil
import subprocess
import sys

from conftest import ROOT, grade_json, messages, with_changes

HOSTILE = '''
def model(x, w, b):
    while True:
        pass


def dmodel_dw(x, w, b):
    raise torch.linalg.LinAlgError("not this time")


def _leak(x):
    """An exception class named after the input, claiming to be torch's."""
    name = "Leak" + "_".join(str(int(v * 1000)) for v in x.flatten()[:3].tolist())
    raise type(name, (Exception,), {"__module__": "torch"})(name)


def dmodel_db(x, w, b):
    return _leak(x)
'''


def by_visibility(result, task):
    tests = next(t["tests"] for t in result["tasks"] if t["name"] == task)
    return {side: [test["message"] for test in tests if test["visibility"] == side] for side in ("visible", "hidden")}


def test_graded_messages_name_the_students_code_the_task_to_fix_first_and_no_chosen_names(tmp_path):
    path = with_changes(tmp_path, HOSTILE)
    source = path.read_text().splitlines()
    leak_line = source.index('    raise type(name, (Exception,), {"__module__": "torch"})(name)') + 1
    torch_line = source.index('    raise torch.linalg.LinAlgError("not this time")') + 1
    result = grade_json(path, tmp_path, "--max-call-seconds", "1")

    model = by_visibility(result, "model")
    assert set(model["visible"] + model["hidden"]) == {
        "model did not finish within 1 s (an endless loop, or far too much work?)"
    }
    dmodel_dw = by_visibility(result, "dmodel_dw")
    assert dmodel_dw["hidden"] == [
        f"dmodel_dw raised torch._C._LinAlgError on a hidden input (line {torch_line} of your file)"
    ]
    dmodel_db = by_visibility(result, "dmodel_db")
    assert all(message.startswith("_leak raised torch.Leak") for message in dmodel_db["visible"])
    assert dmodel_db["hidden"] == [  # hidden tests name the called function, never a helper's chosen name
        "dmodel_db raised an exception of a class your module defines on a hidden input "
        f"(line {leak_line} of your file)"
    ]
    hidden = [test["message"] for task in result["tasks"] for test in task["tests"] if test["visibility"] == "hidden"]
    assert not any("Leak" in message for message in hidden)

    training_loop = {message.splitlines()[0] for message in messages(result, "training_loop")}
    assert training_loop == {"training_loop uses model, which fails its own tests: fix model first"}
    grad_fn = messages(result, "grad_fn")  # its errors already name dmodel_dw: nothing is added
    named = ("dmodel_dw raised torch._C._LinAlgError", "grad_fn raised torch._C._LinAlgError on a hidden input")
    assert grad_fn and all(message.startswith(named) for message in grad_fn)  # hidden: only the called function


def test_a_stub_of_classes_and_a_probed_trainer_is_named_as_the_student_wrote_it(tmp_path):
    """02's tests reach LinearRegression and trainer through probes (inspect_model, train)."""
    folder = shutil.copytree(ROOT / "assignments" / "02_autograd_modules", tmp_path / "02_autograd_modules")
    shutil.copytree(ROOT / "autograder", folder / "autograder")  # as in the release: the engine's own copy
    done = subprocess.run([sys.executable, "-m", "pytest"], cwd=folder, capture_output=True, text=True, timeout=300)
    lines = {line.split()[1]: line for line in done.stdout.splitlines() if line.startswith("✗")}
    assert "LinearRegression is not implemented yet" in lines["LinearRegression"]
    assert "trainer is not implemented yet" in lines["trainer"]
    assert "inspect_model" not in done.stdout and " train " not in done.stdout
