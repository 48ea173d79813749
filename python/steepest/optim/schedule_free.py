"""st.optim.ScheduleFreeAdamW (alias AdamWScheduleFree): facebookresearch/schedule_free's
AdamWScheduleFree (arguments, defaults, train()/eval() modes, warmup_steps, r,
weight_lr_power, lr_max and weight_sum kept in the param group), one C++ step per group.
docs/optimizers.md has the math; arguments, defaults and the group scalars come from the C++
rule "ScheduleFreeAdamW" (cpp/src/optim/schedule_free.cpp). In train mode the params hold y,
in eval mode x; the optimizer starts in eval mode and step() needs train(). Unlike the
reference's non-foreach path, p.grad is left unchanged (the reference divides it in place)."""
from typing import Any, Callable, Dict, Optional, Union

from .. import _core
from .optimizer import Optimizer, _check


class ScheduleFreeAdamW(Optimizer, rule="ScheduleFreeAdamW"):
    """Schedule-Free AdamW, "The Road Less Scheduled" (Defazio et al., 2024). The params hold y
    in train mode; z is the base sequence and x the average that eval() switches to::

        lr_t = lr * min(1, (k + 1) / warmup_steps); weight = (k + 1)^r * max_lr^weight_lr_power
        c = weight / sum of weights
        v = beta2 * v + (1 - beta2) * g * g; u = g / (sqrt(v / (1 - beta2^(k+1))) + eps) + wd * y
        y = lerp(y, z, c) + lr_t * (beta1 * (1 - c) - 1) * u;  z = z - lr_t * u

    Args: params, lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, warmup_steps=0, r=0.0,
    weight_lr_power=2.0, foreach=True. State: z, exp_avg_sq; the group keeps k, weight_sum,
    lr_max, scheduled_lr, train_mode.
    """

    def _check_group(self, g: Dict[str, Any]) -> None:
        super()._check_group(g)
        _check(g["betas"][0] > 0.0, "betas[0]", g["betas"][0], "> 0 (eval() divides by it)")

    def _set_mode(self, train: bool) -> None:
        for group in self.param_groups:
            if bool(group["train_mode"]) != train:
                _core._schedule_free_set_mode(self._lists(group), float(group["betas"][0]), train)
                group["train_mode"] = train

    def train(self) -> None:
        """Switches the params to y (where gradients are taken): p = lerp(p, z, 1-beta1)."""
        self._set_mode(True)

    def eval(self) -> None:
        """Switches the params to x (the averaged iterate to evaluate): p = lerp(p, z, 1-1/beta1)."""
        self._set_mode(False)

    def step(self, closure: Optional[Callable[[], Any]] = None, *, grad_factor: float = 1.0,
             found_inf: Union[_core.Tensor, float, None] = None) -> Any:
        if not self.param_groups[0]["train_mode"]:
            raise RuntimeError("ScheduleFreeAdamW: step() needs train mode: call optimizer.train() before "
                               "training steps and optimizer.eval() before evaluation")
        return super().step(closure, grad_factor=grad_factor, found_inf=found_inf)


AdamWScheduleFree = ScheduleFreeAdamW
