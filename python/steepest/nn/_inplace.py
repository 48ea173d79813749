"""The `inplace=True` form of nn functions: the result lands in the input tensor and, when
the input is part of a graph, gradients still flow through the function."""
from __future__ import annotations

from typing import Callable

from .. import _core
from ..autograd.grad_mode import no_grad

Tensor = _core.Tensor


def write_into(x: Tensor, fn: Callable[[Tensor], Tensor]) -> Tensor:
    """x.copy_(fn(x)) with torch's autograd meaning. The function's node saves its input for
    backward, and copy_ bumps x's version; so when x carries history, fn runs on a clone and
    copy_ records the write, making x's new history run through fn. Without history the
    value is written directly (no clone)."""
    if _core.is_grad_enabled() and x.requires_grad:
        out = fn(x.clone())
        x.copy_(out)
        return x
    with no_grad():
        x.copy_(fn(x))
    return x
