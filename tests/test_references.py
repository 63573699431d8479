"""The references' analytic gradients agree with central differences (the oracle behind the tests)."""

import torch

from autograder import course
from autograder.course import import_module_file


def central_difference(f, point, h=1e-6):
    """The gradient of ``f`` at ``point`` (a float64 vector) by central differences."""
    grad = torch.zeros_like(point)
    for i in range(len(point)):
        step = torch.zeros_like(point)
        step[i] = h
        grad[i] = (f(point + step) - f(point - step)) / (2 * h)
    return grad


def test_reference_grad_fn_matches_central_differences():
    assignment = course.load("01_gradient_descent")
    reference = import_module_file(assignment.reference_file, "_reference_for_differences")
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):
        x = torch.rand(30, generator=generator, dtype=torch.float64) * 4 - 2
        y = torch.rand(30, generator=generator, dtype=torch.float64)
        w, b = (torch.rand(2, generator=generator, dtype=torch.float64) * 4 - 2).tolist()
        analytic = reference.grad_fn(x, y, reference.model(x, w, b), w, b)

        def loss(params, x=x, y=y):
            return reference.loss_fn(reference.model(x, params[0], params[1]), y)

        torch.testing.assert_close(
            analytic, central_difference(loss, torch.tensor([w, b], dtype=torch.float64)), rtol=1e-6, atol=1e-8
        )
