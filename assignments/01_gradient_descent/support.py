"""What the public and the hidden tests of assignment 01 share."""

import torch

from autograder.testing import expect_close, expect_tensor


def expect_ones(derivative, x):
    """``dmodel_db(x, w, b)`` must be 1: the float ``1.0``, or ones that broadcast to ``x``."""
    if isinstance(derivative, torch.Tensor):
        derivative = torch.broadcast_to(expect_tensor(derivative), x.shape)
        expect_close(derivative, torch.ones_like(x))
    else:
        expect_close(derivative, 1.0)
