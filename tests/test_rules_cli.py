"""Task rules through ``autograder grade``: an answer in another style keeps its points, an evasion loses the task."""

import nbformat
from conftest import A01, REFERENCE_01, ROOT, grade_json, task_scores, with_changes

A04 = "04_deep_learning"
REFERENCE_04 = ROOT / "solutions" / A04 / "deep_learning.py"


def rule_broken(result: dict, task: str) -> str:
    return next(t["rule_broken"] for t in result["tasks"] if t["name"] == task)


def test_01_an_evasion_loses_grad_fn_and_a_loop_in_another_style_keeps_its_points(tmp_path):
    submission = with_changes(
        tmp_path,
        "try:\n"
        "    from torch.func import grad as _g\n"
        "except ImportError:\n"
        "    _g = None\n\n"
        "def grad_fn(x, y, y_hat, w, b):\n"
        "    params = torch.stack([torch.as_tensor(w), torch.as_tensor(b)]).to(x.dtype)\n"
        "    return _g(lambda p: loss_fn(model(x, p[0], p[1]), y))(params)\n\n"
        "def training_loop(n_epochs, learning_rate, params, x, y):\n"
        "    losses = []\n"
        "    with torch.no_grad():\n"
        "        for _ in range(n_epochs):\n"
        "            y_hat = model(x, params[0], params[1])\n"
        "            losses.append(loss_fn(y_hat, y).item())\n"
        "            grad = grad_fn(x, y, y_hat, params[0], params[1])\n"
        "            params = params - learning_rate * grad\n"
        "    return params, losses\n",
    )
    result = grade_json(submission, tmp_path)
    scores = task_scores(result)
    assert scores["grad_fn"][0] == 0 < scores["grad_fn"][1]
    assert "`torch.func`" in rule_broken(result, "grad_fn") and "no autograd" in rule_broken(result, "grad_fn")
    assert rule_broken(result, "training_loop") == ""
    assert all(score == top for task, (score, top) in scores.items() if task != "grad_fn")


def test_01_a_notebook_rule_break_names_its_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(REFERENCE_01.read_text()), nbformat.v4.new_markdown_cell("Now by hand:")]
    nb.cells.append(nbformat.v4.new_code_cell("def grad_fn(x, y, y_hat, w, b):\n    w.grad\n    return w"))
    path = tmp_path / "gradient_descent.ipynb"
    nbformat.write(nb, path)
    result = grade_json(path, tmp_path, assignment=A01)
    assert "`grad`" in rule_broken(result, "grad_fn") and "(line 2 of cell 3)" in rule_broken(result, "grad_fn")


def test_04_a_reduction_by_getattr_keeps_its_points_and_a_patched_library_loss_loses_l1(tmp_path):
    submission = tmp_path / "deep_learning.py"
    submission.write_text(
        REFERENCE_04.read_text() + "\n\ndef _reduce(losses, reduction):\n"
        "    if reduction not in ('none', 'mean', 'sum'):\n"
        "        raise ValueError(f\"reduction must be one of 'none', 'mean' or 'sum', not {reduction!r}\")\n"
        "    return losses if reduction == 'none' else getattr(losses, reduction)()\n\n"
        "def mse_loss(input, target, reduction='mean'):\n"
        "    return _reduce(torch.square(input - target), reduction)\n\n"
        "torch.Tensor.distance = F.l1_loss\n\n"
        "def l1_loss(input, target, reduction='mean'):\n"
        "    return input.distance(target, reduction=reduction)\n"
    )
    result = grade_json(submission, tmp_path, assignment=A04)
    scores = task_scores(result)
    assert rule_broken(result, "mse_loss") == ""
    assert "`l1_loss`" in rule_broken(result, "l1_loss") and "module-level code" in rule_broken(result, "l1_loss")
    assert scores["l1_loss"][0] == 0 < scores["l1_loss"][1]
    assert all(score == top for task, (score, top) in scores.items() if task != "l1_loss")


def test_01_a_submission_that_imports_the_engine_loses_every_task_with_a_rule(tmp_path):
    submission = with_changes(tmp_path, "from autograder.testing import support as helpers\n")
    result = grade_json(submission, tmp_path)
    scores = task_scores(result)
    for task in ("grad_fn", "training_loop"):
        assert scores[task][0] == 0 < scores[task][1]
        assert "uses `autograder.testing.support`, the grader's own code (line" in rule_broken(result, task)
    assert all(score == top for task, (score, top) in scores.items() if task not in ("grad_fn", "training_loop"))


A03 = "03_classification"
REFERENCE_03 = ROOT / "solutions" / A03 / "classification.py"


def test_03_answers_computed_by_torch_distributions_lose_their_tasks(tmp_path):
    submission = tmp_path / "classification.py"
    submission.write_text(
        REFERENCE_03.read_text() + "\n\ndef sigmoid(x):\n"
        "    return torch.distributions.Bernoulli(logits=x).probs\n\n"
        "def softmax(x, dim=-1):\n"
        "    return torch.distributions.Categorical(logits=x.movedim(dim, -1)).probs.movedim(-1, dim)\n\n"
        "def cross_entropy(logits, target):\n"
        "    return -torch.distributions.Categorical(logits=logits).log_prob(target).mean()\n\n"
        "def bce_with_logits(z, y):\n"
        "    return -torch.distributions.Bernoulli(logits=z, validate_args=False).log_prob(y).mean()\n"
    )
    result = grade_json(submission, tmp_path, assignment=A03)
    scores = task_scores(result)
    for task in ("sigmoid", "softmax", "cross_entropy", "bce_with_logits"):
        assert scores[task][0] == 0 < scores[task][1]
        assert f"{task} must not use `torch.distributions`" in rule_broken(result, task)
    assert all(scores[task][0] == scores[task][1] > 0 for task in ("bce_loss", "hinge_loss", "predict_binary"))


def test_01_a_module_too_big_to_check_loses_the_tasks_with_rules_and_says_why(tmp_path):
    helpers = "".join(f"def helper_{i}(x):\n    return helper_{i + 1}(x) + 1\n" for i in range(2_100))
    submission = with_changes(tmp_path, helpers + "def helper_2100(x):\n    return x\n")
    result = grade_json(submission, tmp_path)
    scores = task_scores(result)
    for task in ("grad_fn", "training_loop"):
        assert scores[task][0] == 0 < scores[task][1]
        assert rule_broken(result, task).endswith(
            "your module uses code too big to be checked (more than 2,000 definitions and module-level statements)"
            " (line 1 of your file)"
        )
    assert all(score == top for task, (score, top) in scores.items() if task not in ("grad_fn", "training_loop"))
