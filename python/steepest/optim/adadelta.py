"""st.optim.Adadelta: torch.optim.Adadelta's arguments, defaults and update, one fused C++ step
per group; defaults and state from the C++ rule (cpp/src/optim/adadelta.cpp)."""
from typing import Any, Dict

from .optimizer import Optimizer, _check


class Adadelta(Optimizer, rule="Adadelta"):
    """Adadelta (Zeiler, 2012), torch's rule::

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

    Args: params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, keyword-only
    capturable=False, maximize=False, differentiable=False (foreach, capturable and
    differentiable are accepted and unused). State: step, square_avg (v), acc_delta (u).
    """

    def _check_group(self, group: Dict[str, Any]) -> None:
        super()._check_group(group)
        _check(0.0 <= group["rho"] <= 1.0, "rho", group["rho"], "in [0, 1]")
