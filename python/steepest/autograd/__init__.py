"""st.autograd: gradients of tensors (the engine is C++), grad modes, custom functions and
gradcheck."""
from .. import _core
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


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulates d(tensors)/d(leaves) into the leaves' .grad."""
    if create_graph:
        raise NotImplementedError("create_graph=True: higher-order gradients are not supported")
    _core._autograd_backward(_seq(tensors), _seq(grad_tensors), bool(retain_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs` (a tuple), leaving every .grad alone."""
    if create_graph:
        raise NotImplementedError("create_graph=True: higher-order gradients are not supported")
    ins = _seq(inputs)
    res = _core._autograd_grad(_seq(outputs), ins, _seq(grad_outputs), bool(retain_graph),
                               bool(allow_unused) or materialize_grads)
    if materialize_grads:
        res = tuple(g if g is not None else _core.zeros_like(x) for g, x in zip(res, ins))
    return res
