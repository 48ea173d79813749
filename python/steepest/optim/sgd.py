"""st.optim.SGD: torch.optim.SGD's arguments, defaults and update (momentum, dampening,
Nesterov, L2 weight decay, maximize), one fused C++ step per group; bfloat16/float16 params
with float32 master weights. Defaults and state from the C++ rule "SGD" (cpp/src/optim/sgd.cpp)."""
from typing import Any, Dict

from .optimizer import Optimizer


class SGD(Optimizer, rule="SGD"):
    """Stochastic gradient descent with momentum (Polyak 1964; Sutskever et al., 2013), torch's rule.

    With g the grad (negated when maximize)::

        g = g + weight_decay * p
        b = g at the first step, else momentum * b + (1 - dampening) * g
        g = g + momentum * b if nesterov else b      # when momentum != 0
        p = p - lr * g

    Args: params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, keyword-only
    maximize=False (foreach, differentiable, fused accepted and ignored) and the mixed-precision
    arguments. State: momentum_buffer (momentum != 0).
    """

    def _check_group(self, g: Dict[str, Any]) -> None:
        super()._check_group(g)
        if g["nesterov"] and (g["momentum"] <= 0 or g["dampening"] != 0):
            raise ValueError("Invalid nesterov: Nesterov momentum requires a momentum > 0 and zero dampening "
                             f"(momentum={g['momentum']}, dampening={g['dampening']})")
