"""st.optim.Lion: the sign-momentum optimizer of google/automl and lucidrains/lion-pytorch
(arguments and defaults as theirs: lr=1e-4, betas=(0.9, 0.99), weight_decay=0), one fused C++
step per group. optimizers.md §2."""
from .. import _core
from .optimizer import Optimizer, check_betas, check_lr, check_nonneg, mixed_defaults


class Lion(Optimizer):
    _state_names = ("exp_avg",)

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, maximize=False, master_weights=None, state_dtype=None, stochastic_rounding=False, sr_seed=0):
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize)
        defaults.update(mixed_defaults(master_weights, state_dtype, stochastic_rounding, sr_seed))
        super().__init__(params, defaults)

    def _check_group(self, g):
        check_lr(g["lr"])
        check_betas(g["betas"])
        check_nonneg("weight_decay", g["weight_decay"])

    def _fused_step(self, g, lists, grad_scale, found_inf):
        b1, b2 = g["betas"]
        return _core._lion_step(lists, float(g["lr"]), float(b1), float(b2), float(g["weight_decay"]),
                                bool(g["maximize"]), grad_scale, found_inf)
