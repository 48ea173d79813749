"""The flat arena (st.optim.flatten_): params and grads moved into one contiguous buffer per
dtype, each param a view of it, so an optimizer step streams through a few long arrays and
zero_grad is one fill. The move is done in C++ (steepest/optim.hpp flatten_)."""
from typing import Iterable, List, Optional, Union

from .. import _core
from .optimizer import Optimizer


class Arena:
    """The buffers behind flattened params: `param_buffers` and `grad_buffers` (1-D, one per
    dtype, in first-appearance order) and the params, in buffer order."""

    def __init__(self, params: List[_core.Tensor], buffers: List[_core.Tensor]) -> None:
        self.params = params
        self._ids = {id(p) for p in params}
        half = len(buffers) // 2
        self.param_buffers = buffers[:half]
        self.grad_buffers = buffers[half:]

    def zero_grad(self) -> None:
        """Zeroes every grad of the arena (one fill per buffer); the grads stay arena views."""
        for g in self.grad_buffers:
            g.zero_()


def flatten_(params: Union[Optimizer, _core.Tensor, Iterable[_core.Tensor]]) -> Arena:
    """Moves params (an iterable of tensors, or an optimizer: all of its groups' params) and
    their grads into flat per-dtype buffers, in order. Each param keeps its identity (the same
    Python object, now a contiguous view of the arena); a param without a grad gets a zero grad
    (a view of the grad buffer), and backward accumulates into those views in place.

    With an optimizer, its zero_grad() then zeroes the grad buffers in one fill (set_to_none is
    ignored for arena params, so they keep accumulating into the arena). Do this before
    training: tensors that shared a param's old storage (the tensor a Parameter was made from,
    earlier .detach()es) no longer alias it, and a param whose grad is later replaced (e.g.
    Module.zero_grad() setting it to None) drops out of the grad arena (still correct, slower).
    Since every param then has a grad, params that never get one are stepped with zero grads
    (as torch does after zero_grad(set_to_none=False))."""
    optimizer: Optional[Optimizer] = None
    tensors: List[_core.Tensor]
    if isinstance(params, Optimizer):
        optimizer = params
        tensors = [p for g in optimizer.param_groups for p in g["params"]]
    elif isinstance(params, _core.Tensor):
        tensors = [params]
    else:
        tensors = list(params)
    arena = Arena(tensors, _core._flatten_(tensors))
    if optimizer is not None:
        optimizer._arena = arena
    return arena
