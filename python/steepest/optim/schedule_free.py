"""st.optim.ScheduleFreeAdamW (alias AdamWScheduleFree): facebookresearch/schedule_free's
AdamWScheduleFree (arguments, defaults, train()/eval() modes, warmup_steps, r,
weight_lr_power, lr_max and weight_sum kept in the param group), one C++ step per group.
optimizers.md §5. In train mode the params hold y, in eval mode x; the optimizer starts in
eval mode and step() needs train(). Unlike the reference's non-foreach path, p.grad is left
unchanged (the reference divides it in place)."""
from .. import _core
from .optimizer import Optimizer, _check, check_betas, check_lr, check_nonneg


class ScheduleFreeAdamW(Optimizer):
    _state_names = ("z", "exp_avg_sq")

    def __init__(self, params, lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, warmup_steps=0, r=0.0,
                 weight_lr_power=2.0, foreach=True):
        defaults = dict(lr=lr, betas=betas, eps=eps, r=r, k=0, warmup_steps=warmup_steps, train_mode=False,
                        weight_sum=0.0, lr_max=-1.0, scheduled_lr=0.0, weight_lr_power=weight_lr_power,
                        weight_decay=weight_decay, foreach=foreach)
        super().__init__(params, defaults)

    def _check_group(self, g):
        check_lr(g["lr"])
        check_nonneg("eps", g["eps"])
        check_betas(g["betas"])
        _check(g["betas"][0] > 0.0, "betas[0]", g["betas"][0], "> 0 (eval() divides by it)")
        check_nonneg("weight_decay", g["weight_decay"])
        check_nonneg("warmup_steps", g["warmup_steps"])
        check_nonneg("r", g["r"])
        check_nonneg("weight_lr_power", g["weight_lr_power"])

    def _set_mode(self, train):
        for group in self.param_groups:
            if bool(group["train_mode"]) != train:
                _core._schedule_free_set_mode(self._lists(group), float(group["betas"][0]), train)
                group["train_mode"] = train

    def train(self):
        """Switches the params to y (where gradients are taken): p = lerp(p, z, 1-beta1)."""
        self._set_mode(True)

    def eval(self):
        """Switches the params to x (the averaged iterate to evaluate): p = lerp(p, z, 1-1/beta1)."""
        self._set_mode(False)

    def step(self, closure=None, *, grad_factor=1.0, found_inf=None):
        if not self.param_groups[0]["train_mode"]:
            raise RuntimeError("ScheduleFreeAdamW: step() needs train mode: call optimizer.train() before "
                               "training steps and optimizer.eval() before evaluation")
        return super().step(closure, grad_factor=grad_factor, found_inf=found_inf)

    def _fused_step(self, g, lists, grad_scale, found_inf):
        b1, b2 = g["betas"]
        created, k, wsum, lr_max, slr = _core._schedule_free_adamw_step(
            lists, float(g["lr"]), float(b1), float(b2), float(g["eps"]), float(g["weight_decay"]),
            float(g["warmup_steps"]), float(g["r"]), float(g["weight_lr_power"]), float(g["k"]),
            float(g["weight_sum"]), float(g["lr_max"]), grad_scale, found_inf)
        if k != g["k"]:
            g["k"], g["weight_sum"], g["lr_max"], g["scheduled_lr"] = int(k), wsum, lr_max, slr
        return created


AdamWScheduleFree = ScheduleFreeAdamW
