"""st.optim.Adagrad and RMSprop: torch.optim's arguments, defaults and updates, one fused C++
step per group; defaults and state from the C++ rules (cpp/src/optim/adagrad_rmsprop.cpp).
Adagrad creates its state in the constructor, as torch does."""
from .. import _core
from .optimizer import Optimizer


class Adagrad(Optimizer, rule="Adagrad"):
    """Adagrad (Duchi et al., 2011), torch's rule::

        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (sqrt(s) + eps)

    Args: params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
    foreach=None, keyword-only maximize=False. State: step, sum.
    """

    def _after_init(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _core.full([], 0.0, dtype=_core.float32)
                state["sum"] = _core.full(list(p.shape), float(group["initial_accumulator_value"]), dtype=p.dtype,
                                            device=p.device)


class RMSprop(Optimizer, rule="RMSprop"):
    """RMSprop (Hinton's lecture notes; centered form of Graves, 2013), torch's rule::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        a = lerp(a, g, 1 - alpha); d = sqrt(v - a * a) + eps   # centered
        d = sqrt(v) + eps                                      # otherwise
        b = momentum * b + g / d; p = p - lr * b               # momentum > 0
        p = p - lr * g / d                                     # otherwise

    Args: params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
    maximize=False. State: step, square_avg, momentum_buffer, grad_avg.
    """
