"""gradcheck: compares the gradients autograd computes for a function with central finite
differences, element by element, in float64 (for users' own functions too)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import _core
from .grad_mode import no_grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytical gradient disagrees with the numerical one."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(fn, inputs):
    out = _as_tuple(fn(*inputs))
    return [o for o in out if isinstance(o, _core.Tensor) and o.is_floating_point()]


def gradcheck(fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0) -> bool:
    """True when d(outputs)/d(inputs) from backward matches finite differences for every
    element of every input that requires grad; otherwise raises GradcheckError (or returns
    False) naming the input, the element, and both values."""
    inputs = _as_tuple(inputs)
    diff_inputs = [(i, x) for i, x in enumerate(inputs) if isinstance(x, _core.Tensor) and x.requires_grad]
    if not diff_inputs:
        raise ValueError("gradcheck expects at least one input tensor with requires_grad=True")
    for i, x in diff_inputs:
        if x.dtype != _core.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {x.dtype}; finite differences need float64 "
                            f"(pass x.double().requires_grad_())")
        if not x.is_leaf:
            raise ValueError(f"gradcheck: input {i} must be a leaf tensor")
    outs = _outputs(fn, inputs)
    if not outs:
        raise ValueError("gradcheck: the function returned no floating-point tensor")
    sizes = [o.numel() for o in outs]

    # Analytical Jacobian rows: one backward per output element.
    analytical = [np.zeros((x.numel(), sum(sizes))) for _, x in diff_inputs]
    col = 0
    for k, o in enumerate(outs):
        for j in range(o.numel()):
            grads_out = []
            for kk, oo in enumerate(outs):
                g = np.zeros(oo.numel(), dtype=np.float64)
                if kk == k:
                    g[j] = 1.0
                grads_out.append(_core.from_numpy(g.reshape(oo.shape)).to(oo.dtype))
            grads = _core._autograd_grad(outs, [x for _, x in diff_inputs], grads_out, True, True)
            for n, grad in enumerate(grads):
                if grad is not None:
                    analytical[n][:, col] = np.asarray(grad.detach().numpy(), dtype=np.float64).ravel()
            col += 1

    # Numerical Jacobian: central differences, perturbing the input's memory in place.
    for n, (i, x) in enumerate(diff_inputs):
        flat = x.detach().numpy().reshape(-1)
        for e in range(x.numel()):
            orig = flat[e]
            with no_grad():
                flat[e] = orig + eps
                plus = [o.detach().numpy().astype(np.float64).ravel().copy() for o in _outputs(fn, inputs)]
                flat[e] = orig - eps
                minus = [o.detach().numpy().astype(np.float64).ravel().copy() for o in _outputs(fn, inputs)]
                flat[e] = orig
            numerical = np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
            a = analytical[n][e]
            bad = np.abs(a - numerical) > atol + rtol * np.abs(numerical)
            if bad.any():
                j = int(np.argmax(bad))
                # Plain ints and floats: numpy scalars would print as np.int64(0), np.float64(..).
                element = tuple(int(k) for k in np.unravel_index(e, tuple(x.shape))) if x.dim() else ()
                msg = (f"Jacobian mismatch for output {j} with respect to input {i}, element "
                       f"{element}:\n"
                       f"numerical: {float(numerical[j])!r}\nanalytical: {float(a[j])!r}\n"
                       f"(atol={atol}, rtol={rtol}, eps={eps})")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True
