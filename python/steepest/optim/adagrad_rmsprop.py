"""st.optim.Adagrad and RMSprop: torch.optim's arguments, defaults and updates, one fused C++
step per group. Adagrad creates its state in the constructor, as torch does."""
from .. import _core
from .optimizer import Optimizer, check_lr, check_nonneg


class Adagrad(Optimizer):
    _state_names = ("step", "sum")

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _core.full([], 0.0, dtype=_core.float32)
                state["sum"] = _core.full(list(p.shape), float(group["initial_accumulator_value"]), dtype=p.dtype)

    def _check_group(self, g):
        check_lr(g["lr"])
        check_nonneg("lr_decay", g["lr_decay"])
        check_nonneg("weight_decay", g["weight_decay"])
        check_nonneg("initial_accumulator_value", g["initial_accumulator_value"])
        check_nonneg("eps", g["eps"])

    def _fused_step(self, g, lists, grad_scale, found_inf):
        return _core._adagrad_step(lists, float(g["lr"]), float(g["lr_decay"]), float(g["weight_decay"]),
                                   float(g["initial_accumulator_value"]), float(g["eps"]), bool(g["maximize"]),
                                   grad_scale, found_inf)


class RMSprop(Optimizer):
    _state_names = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_group(self, g):
        check_lr(g["lr"])
        check_nonneg("eps", g["eps"])
        check_nonneg("momentum", g["momentum"])
        check_nonneg("weight_decay", g["weight_decay"])
        check_nonneg("alpha", g["alpha"])

    def _fused_step(self, g, lists, grad_scale, found_inf):
        return _core._rmsprop_step(lists, float(g["lr"]), float(g["alpha"]), float(g["eps"]),
                                   float(g["weight_decay"]), float(g["momentum"]), bool(g["centered"]),
                                   bool(g["maximize"]), grad_scale, found_inf)
