"""st.optim.NAdam, RAdam and Adamax: torch.optim's arguments, defaults and updates, one fused
C++ step per group."""
from .. import _core
from .optimizer import Optimizer, check_adam_group, check_nonneg


class NAdam(Optimizer):
    _state_names = ("step", "mu_product", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_group(self, g):
        check_adam_group(g)
        check_nonneg("momentum_decay", g["momentum_decay"])

    def _fused_step(self, g, lists, grad_scale, found_inf):
        b1, b2 = g["betas"]
        return _core._nadam_step(lists, float(g["lr"]), float(b1), float(b2), float(g["eps"]),
                                 float(g["weight_decay"]), float(g["momentum_decay"]),
                                 bool(g["decoupled_weight_decay"]), bool(g["maximize"]), grad_scale, found_inf)


class RAdam(Optimizer):
    _state_names = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_group(self, g):
        check_adam_group(g)

    def _fused_step(self, g, lists, grad_scale, found_inf):
        b1, b2 = g["betas"]
        return _core._radam_step(lists, float(g["lr"]), float(b1), float(b2), float(g["eps"]),
                                 float(g["weight_decay"]), bool(g["decoupled_weight_decay"]), bool(g["maximize"]),
                                 grad_scale, found_inf)


class Adamax(Optimizer):
    _state_names = ("step", "exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _check_group(self, g):
        check_adam_group(g)

    def _fused_step(self, g, lists, grad_scale, found_inf):
        b1, b2 = g["betas"]
        return _core._adamax_step(lists, float(g["lr"]), float(b1), float(b2), float(g["eps"]),
                                  float(g["weight_decay"]), bool(g["maximize"]), grad_scale, found_inf)
