"""st.optim.Lamb and Lars: timm's LAMB (lamb.py: global grad pre-clip, bias correction, trust
ratio, trust_clip, always_adapt, decoupled_decay) and LARS (lars.py: trust coefficient, LARC
trust_clip, always_adapt, torch SGD momentum), one C++ step per group (trust ratios from
per-tensor norms in C++). docs/optimizers.md has the math; arguments and defaults come from the
C++ rules "Lamb" and "Lars" (cpp/src/optim/lamb_lars.cpp). Aliases LAMB and LARS. Params excluded from
weight decay (wd 0, e.g. via st.optim.param_groups_weight_decay) get no trust ratio unless
always_adapt, as timm."""
from typing import Any, Callable, Dict, Optional, Union

from .. import _core
from .optimizer import Optimizer, _check, _grad_context, check_nonneg


class Lamb(Optimizer, rule="Lamb"):
    """LAMB, "Large Batch Optimization for Deep Learning" (You et al., 2020), timm's lamb.py::

        g = g / max(global_norm / max_grad_norm, 1)                    # over every group
        m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g * g
        u = (m / (1 - beta1^t)) / (sqrt(v) / sqrt(1 - beta2^t) + eps) + weight_decay * p
        p = p - lr * (||p|| / ||u|| if both > 0 else 1) * u             # trust ratio

    Args: params, lr=1e-3, bias_correction=True, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01,
    grad_averaging=True, max_grad_norm=1.0, trust_clip=False, always_adapt=False,
    decoupled_decay=False. State: exp_avg, exp_avg_sq; the group keeps step.
    """

    def _check_group(self, g: Dict[str, Any]) -> None:
        super()._check_group(g)
        max_grad_norm = g["max_grad_norm"]
        if max_grad_norm is not None:
            check_nonneg("max_grad_norm", max_grad_norm)
            _check(max_grad_norm > 0, "max_grad_norm", max_grad_norm, "> 0 or None")

    def step(self, closure: Optional[Callable[[], Any]] = None, *, grad_factor: float = 1.0,
             found_inf: Union[_core.Tensor, float, None] = None) -> Any:
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


class Lars(Optimizer, rule="Lars"):
    """LARS, "Large Batch Training of Convolutional Networks" (You et al., 2017), timm's lars.py::

        r = trust_coeff * ||p|| / (||g|| + weight_decay * ||p|| + eps)   (1 unless both norms > 0)
        g = (g + weight_decay * p) * r                                   # weight_decay != 0 or always_adapt
        then torch's SGD momentum/Nesterov on g, p = p - lr * g

    Args: params, lr=1.0, momentum=0, dampening=0, weight_decay=0, nesterov=False,
    trust_coeff=0.001, eps=1e-8, trust_clip=False, always_adapt=False, keyword-only exclude_1d=False
    (params of at most one dim take plain SGD steps: no trust ratio, no decay). State: momentum_buffer.
    """

    def _check_group(self, g: Dict[str, Any]) -> None:
        super()._check_group(g)
        if g["nesterov"]:
            _check(g["momentum"] > 0 and g["dampening"] == 0, "nesterov", g["nesterov"],
                   "used with momentum > 0 and dampening 0")
        if g["trust_clip"]:
            _check(g["lr"] > 0, "lr", g["lr"], "> 0 with trust_clip (the ratio is divided by lr)")


LAMB = Lamb
LARS = Lars
