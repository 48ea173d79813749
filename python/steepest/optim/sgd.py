"""st.optim.SGD: torch.optim.SGD's arguments, defaults and update (momentum, dampening,
Nesterov, L2 weight decay, maximize), one fused C++ step per group; bfloat16/float16 params
with float32 master weights (see optimizer.mixed_defaults)."""
from .. import _core
from .optimizer import Optimizer, check_lr, check_nonneg, mixed_defaults


class SGD(Optimizer):
    _state_names = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None, master_weights=None, state_dtype=None, stochastic_rounding=False, sr_seed=0):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        defaults.update(mixed_defaults(master_weights, state_dtype, stochastic_rounding, sr_seed))
        super().__init__(params, defaults)

    def _check_group(self, g):
        check_lr(g["lr"])
        check_nonneg("momentum", g["momentum"])
        check_nonneg("weight_decay", g["weight_decay"])
        if g["nesterov"] and (g["momentum"] <= 0 or g["dampening"] != 0):
            raise ValueError("Invalid nesterov: Nesterov momentum requires a momentum > 0 and zero dampening "
                             f"(momentum={g['momentum']}, dampening={g['dampening']})")

    def _fused_step(self, g, lists, grad_scale, found_inf):
        return _core._sgd_step(lists, float(g["lr"]), float(g["momentum"]), float(g["dampening"]),
                               float(g["weight_decay"]), bool(g["nesterov"]), bool(g["maximize"]),
                               grad_scale, found_inf)
