"""st.autograd: gradients of tensors (the engine is C++), grad modes, custom functions and
gradcheck."""
from __future__ import annotations

from typing import Optional, Sequence, Union

from .. import _core
from .._typing import Tensor
from .function import Function, FunctionCtx  # noqa: F401
from .grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: F401
from .gradcheck import GradcheckError, gradcheck  # noqa: F401


def _seq(x):
    if x is None:
        return None
    if isinstance(x, _core.Tensor):
        return [x]
    # Anything else is passed on as it is: the core names the argument in its TypeError.
    return list(x) if isinstance(x, (list, tuple)) else x


_Tensors = Union[Tensor, Sequence[Tensor]]


def backward(tensors: _Tensors, grad_tensors: Optional[Union[Tensor, Sequence[Optional[Tensor]]]] = None,
             retain_graph: Optional[bool] = None, create_graph: bool = False) -> None:
    """Accumulates d(tensors)/d(leaves) into the leaves' .grad."""
    if create_graph:
        raise NotImplementedError("create_graph=True: higher-order gradients are not supported")
    _core._autograd_backward(_seq(tensors), _seq(grad_tensors), bool(retain_graph))


def grad(outputs: _Tensors, inputs: _Tensors,
         grad_outputs: Optional[Union[Tensor, Sequence[Optional[Tensor]]]] = None,
         retain_graph: Optional[bool] = None, create_graph: bool = False, allow_unused: Optional[bool] = None,
         materialize_grads: bool = False) -> tuple[Optional[Tensor], ...]:
    """The gradients of `outputs` with respect to `inputs` (a tuple), leaving every .grad alone."""
    if create_graph:
        raise NotImplementedError("create_graph=True: higher-order gradients are not supported")
    ins = _seq(inputs)
    res = _core._autograd_grad(_seq(outputs), ins, _seq(grad_outputs), bool(retain_graph),
                               bool(allow_unused) or materialize_grads)
    if materialize_grads:
        res = tuple(g if g is not None else _core.zeros_like(x) for g, x in zip(res, ins))
    return res
