"""st.optim.Lamb and Lars: timm's LAMB (lamb.py: global grad pre-clip, bias correction, trust
ratio, trust_clip, always_adapt, decoupled_decay) and LARS (lars.py: trust coefficient, LARC
trust_clip, always_adapt, torch SGD momentum), one C++ step per group (trust ratios from
per-tensor norms in C++). optimizers.md §6. Aliases LAMB and LARS. Params excluded from
weight decay (wd 0, e.g. via st.optim.param_groups_weight_decay) get no trust ratio unless
always_adapt, as timm."""
from .. import _core
from .optimizer import Optimizer, _check, _grad_context, check_adam_group, check_lr, check_nonneg


class Lamb(Optimizer):
    _state_names = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, bias_correction=True, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01,
                 grad_averaging=True, max_grad_norm=1.0, trust_clip=False, always_adapt=False,
                 decoupled_decay=False):
        if max_grad_norm is not None:
            check_nonneg("max_grad_norm", max_grad_norm)
            _check(max_grad_norm > 0, "max_grad_norm", max_grad_norm, "> 0 or None")
        defaults = dict(lr=lr, bias_correction=bias_correction, betas=betas, eps=eps, weight_decay=weight_decay,
                        grad_averaging=grad_averaging, max_grad_norm=max_grad_norm, trust_clip=trust_clip,
                        always_adapt=always_adapt, decoupled_decay=decoupled_decay)
        super().__init__(params, defaults)

    def _check_group(self, g):
        check_adam_group(g)

    def step(self, closure=None, *, grad_factor=1.0, found_inf=None):
        """One step. timm's pre-clip: all grads (over every group) are divided by
        max(global_norm / max_grad_norm, 1), inside the kernel (grads stay unchanged)."""
        loss = None
        if closure is not None:
            with _grad_context():
                loss = closure()
        max_norm = self.defaults["max_grad_norm"]
        if max_norm is not None:
            factor = grad_factor
            scale = getattr(self, "grad_scale", None)
            if scale is not None:
                factor = factor / float(scale.item() if isinstance(scale, _core.Tensor) else scale)
            grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
            if grads:
                norm = _core._lamb_grad_norm(grads) * abs(factor)
                clip = max(norm / max_norm, 1.0)
                grad_factor = grad_factor / clip
        super().step(None, grad_factor=grad_factor, found_inf=found_inf)
        return loss

    def _fused_step(self, g, lists, grad_scale, found_inf):
        b1, b2 = g["betas"]
        created, step = _core._lamb_step(lists, float(g["lr"]), float(b1), float(b2), float(g["eps"]),
                                         float(g["weight_decay"]), bool(g["bias_correction"]),
                                         bool(g["grad_averaging"]), bool(g["trust_clip"]), bool(g["always_adapt"]),
                                         bool(g["decoupled_decay"]), int(g.get("step", 0)), grad_scale, found_inf)
        if step != g.get("step", 0):
            g["step"] = step
        return created


class Lars(Optimizer):
    _state_names = ("momentum_buffer",)

    def __init__(self, params, lr=1.0, momentum=0, dampening=0, weight_decay=0, nesterov=False, trust_coeff=0.001,
                 eps=1e-8, trust_clip=False, always_adapt=False, *, exclude_1d=False):
        """exclude_1d: params of at most one dim (biases, norm gains) take plain SGD steps (no
        trust ratio, no weight decay), as LARS's paper recipe; timm gets the same effect from a
        weight_decay=0 group (st.optim.param_groups_weight_decay)."""
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        trust_coeff=trust_coeff, eps=eps, trust_clip=trust_clip, always_adapt=always_adapt,
                        exclude_1d=exclude_1d)
        super().__init__(params, defaults)

    def _check_group(self, g):
        check_lr(g["lr"])
        check_nonneg("momentum", g["momentum"])
        check_nonneg("weight_decay", g["weight_decay"])
        check_nonneg("trust_coeff", g["trust_coeff"])
        check_nonneg("eps", g["eps"])
        if g["nesterov"]:
            _check(g["momentum"] > 0 and g["dampening"] == 0, "nesterov", g["nesterov"],
                   "used with momentum > 0 and dampening 0")
        if g["trust_clip"]:
            _check(g["lr"] > 0, "lr", g["lr"], "> 0 with trust_clip (the ratio is divided by lr)")

    def _fused_step(self, g, lists, grad_scale, found_inf):
        return _core._lars_step(lists, float(g["lr"]), float(g["momentum"]), float(g["dampening"]),
                                float(g["weight_decay"]), bool(g["nesterov"]), float(g["trust_coeff"]),
                                float(g["eps"]), bool(g["trust_clip"]), bool(g["always_adapt"]),
                                bool(g["exclude_1d"]), grad_scale, found_inf)


LAMB = Lamb
LARS = Lars
