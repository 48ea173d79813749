"""st.optim.Adafactor: torch.optim.Adafactor's arguments, defaults and update (factored second
moments for >= 2-D params, beta2_decay, the (eps1, eps2) pair, d, weight_decay, maximize), one
C++ step per group (optimizers.md §7). foreach is accepted and ignored."""
from .. import _core
from .optimizer import Optimizer, _check, check_lr, check_nonneg


class Adafactor(Optimizer):
    _state_names = ("step", "row_var", "col_var", "variance")

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, g):
        check_lr(g["lr"])
        b = g["beta2_decay"]
        _check(isinstance(b, (int, float)) and b <= 0.0, "beta2_decay", b, "<= 0")
        eps = g["eps"]
        _check(isinstance(eps, (tuple, list)) and len(eps) == 2, "eps", eps, "a pair (eps1 or None, eps2)")
        if eps[0] is not None:
            check_nonneg("eps[0]", eps[0])
        check_nonneg("eps[1]", eps[1])
        _check(isinstance(g["d"], (int, float)) and g["d"] >= 1.0, "d", g["d"], ">= 1")
        check_nonneg("weight_decay", g["weight_decay"])

    def _fused_step(self, g, lists, grad_scale, found_inf):
        eps1, eps2 = g["eps"]
        return _core._adafactor_step(lists, float(g["lr"]), float(g["beta2_decay"]),
                                     None if eps1 is None else float(eps1), float(eps2), float(g["d"]),
                                     float(g["weight_decay"]), bool(g["maximize"]), grad_scale, found_inf)
