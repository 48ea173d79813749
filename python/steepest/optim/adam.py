"""st.optim.Adam and AdamW: torch.optim's arguments, defaults and update (AMSGrad, L2 or
decoupled weight decay, maximize), one fused C++ step per group; bfloat16/float16 params with
float32 master weights, bfloat16 moments, stochastic rounding (see optimizer.mixed_defaults)."""
from .. import _core
from .optimizer import Optimizer, check_adam_group, mixed_defaults


class Adam(Optimizer):
    _state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False, master_weights=None, state_dtype=None, stochastic_rounding=False, sr_seed=0):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        defaults.update(mixed_defaults(master_weights, state_dtype, stochastic_rounding, sr_seed))
        super().__init__(params, defaults)

    def _check_group(self, g):
        check_adam_group(g)

    def _fused_step(self, g, lists, grad_scale, found_inf):
        b1, b2 = g["betas"]
        return _core._adam_step(lists, float(g["lr"]), float(b1), float(b2), float(g["eps"]),
                                float(g["weight_decay"]), bool(g["amsgrad"]), bool(g["maximize"]),
                                bool(g["decoupled_weight_decay"]), grad_scale, found_inf)


class AdamW(Adam):
    """Adam with decoupled weight decay, p *= 1 - lr*wd before the moments (default wd 1e-2)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None, master_weights=None, state_dtype=None, stochastic_rounding=False, sr_seed=0):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         foreach=foreach, maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True, master_weights=master_weights, state_dtype=state_dtype, stochastic_rounding=stochastic_rounding, sr_seed=sr_seed)
