"""Hypothesis strategies for tensors, shared by every assignment's tests."""

from __future__ import annotations

import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def shapes(min_dims: int = 1, max_dims: int = 2, min_side: int = 1, max_side: int = 6) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def tensors(shape: tuple | st.SearchStrategy, low: float = -10.0, high: float = 10.0, dtype=torch.float32):
    """Float tensors of ``shape`` (a tuple or a strategy of tuples) with values in [low, high]."""
    numpy_dtype = {torch.float32: "float32", torch.float64: "float64"}[dtype]
    elements = st.floats(low, high, width=32 if dtype == torch.float32 else 64)
    return hnp.arrays(numpy_dtype, shape, elements=elements).map(torch.from_numpy)


def same_shape_pairs(low: float = -10.0, high: float = 10.0, dtype=torch.float32):
    """Pairs of tensors of one shape, e.g. predictions and targets."""
    return shapes().flatmap(lambda shape: st.tuples(tensors(shape, low, high, dtype), tensors(shape, low, high, dtype)))
