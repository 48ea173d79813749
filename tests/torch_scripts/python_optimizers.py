"""Optimizers written in Python against torch.optim.Optimizer's API, as in public repositories:
Lion (multi-tensor _foreach form), Muon (Newton-Schulz orthogonalization, momentum via lerp_),
an AdamW with AMSGrad (_foreach_maximum_, _foreach_sqrt, _foreach_div_, _foreach_addcdiv_),
and an old-style SGD on p.data / p.grad.data. Each trains an MLP on the 8x8 digits under an
lr scheduler; Muon's run saves and reloads its optimizers' state_dicts half way."""
import io
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from _harness import digits, report, sync_weights
from torch.optim.optimizer import Optimizer


class Lion(Optimizer):
    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameters: {betas}")
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, exp_avgs = [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                params.append(p)
                grads.append(p.grad)
                exp_avgs.append(state["exp_avg"])
            if not params:
                continue
            beta1, beta2 = group["betas"]
            torch._foreach_mul_(params, 1 - group["lr"] * group["weight_decay"])
            updates = torch._foreach_lerp(exp_avgs, grads, 1 - beta1)
            torch._foreach_sign_(updates)
            torch._foreach_add_(params, updates, alpha=-group["lr"])
            torch._foreach_lerp_(exp_avgs, grads, 1 - beta2)
        return loss


def zeropower_via_newtonschulz5(G, steps=5):
    """Quintic Newton-Schulz iteration: approximately U V^T of G = U S V^T."""
    assert G.ndim >= 2
    a, b, c = (3.4445, -4.7750, 2.0315)
    X = G.float()
    if G.size(-2) > G.size(-1):
        X = X.mT
    X = X / (X.norm(dim=(-2, -1), keepdim=True) + 1e-7)
    for _ in range(steps):
        A = X @ X.mT
        B = b * A + c * A @ A
        X = a * X + B @ X
    if G.size(-2) > G.size(-1):
        X = X.mT
    return X


class Muon(torch.optim.Optimizer):
    def __init__(self, params, lr=0.02, weight_decay=0.0, momentum=0.95, nesterov=True, ns_steps=5, l2=0.0):
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov, ns_steps=ns_steps,
                        l2=l2)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if group["l2"] != 0:
                    p.grad.add_(p, alpha=group["l2"])
                g = p.grad
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(g)
                buf = state["momentum_buffer"]
                buf.lerp_(g, 1 - group["momentum"])
                g = g.lerp_(buf, group["momentum"]) if group["nesterov"] else buf
                update = zeropower_via_newtonschulz5(g, steps=group["ns_steps"])
                update *= max(1, g.size(-2) / g.size(-1)) ** 0.5
                p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(update.reshape(p.shape), alpha=-group["lr"])
        return loss


class AdamWAMSGrad(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            grads = [p.grad for p in params]
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["max_exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
            beta1, beta2 = group["betas"]
            exp_avgs = [self.state[p]["exp_avg"] for p in params]
            exp_avg_sqs = [self.state[p]["exp_avg_sq"] for p in params]
            max_sqs = [self.state[p]["max_exp_avg_sq"] for p in params]
            step = self.state[params[0]]["step"].item()
            torch._foreach_mul_(params, 1 - group["lr"] * group["weight_decay"])
            torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
            torch._foreach_mul_(exp_avg_sqs, beta2)
            torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
            torch._foreach_maximum_(max_sqs, exp_avg_sqs)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            denom = torch._foreach_sqrt(max_sqs)
            torch._foreach_div_(denom, math.sqrt(bias_correction2))
            torch._foreach_add_(denom, group["eps"])
            torch._foreach_addcdiv_(params, exp_avgs, denom, value=-group["lr"] / bias_correction1)


class ClassicSGD(torch.optim.Optimizer):
    """Momentum SGD with L2 decay, written the way pre-2019 code was (p.data, grad.data)."""

    def __init__(self, params, lr=0.1, momentum=0.9, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d_p = p.grad.data
                if group["weight_decay"] != 0:
                    d_p.add_(p.data, alpha=group["weight_decay"])
                param_state = self.state[p]
                if "momentum_buffer" not in param_state:
                    buf = param_state["momentum_buffer"] = torch.clone(d_p).detach()
                else:
                    buf = param_state["momentum_buffer"]
                    buf.mul_(group["momentum"]).add_(d_p)
                p.data.add_(buf, alpha=-group["lr"])


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 48)
        self.fc2 = nn.Linear(48, 48)
        self.head = nn.Linear(48, 10)

    def forward(self, x):
        return self.head(F.relu(self.fc2(F.relu(self.fc1(x)))))


torch.manual_seed(0)
X, y = digits(384)
X, y = torch.from_numpy(X), torch.from_numpy(y)


def new_model():
    model = MLP()
    sync_weights(model)
    return model


def train(model, optimizers, schedulers, steps, losses, on_half=None):
    for step in range(steps):
        if on_half is not None and step == steps // 2:
            optimizers, schedulers = on_half(optimizers, schedulers)
        loss = F.cross_entropy(model(X), y)
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norms = torch._foreach_norm([p.grad for p in model.parameters()])
        losses.append(loss.item())
        report_norms.append(float(torch.stack(grad_norms).max()))
        for opt in optimizers:
            opt.step()
        for sched in schedulers:
            sched.step()


STEPS = 24
report_norms = []

# Lion on everything, linear warm-up then constant.
model = new_model()
lion = Lion(model.parameters(), lr=3e-3, weight_decay=0.1)
warmup = torch.optim.lr_scheduler.LambdaLR(lion, lambda s: min(1.0, (s + 1) / 5))
lion_losses = []
train(model, [lion], [warmup], STEPS, lion_losses)
report("lion", lion_losses)
report("lion_lr", lion.param_groups[0]["lr"])

# Muon on the hidden matrices, AdamW(AMSGrad) on the rest; both cosine-annealed; half way,
# the optimizers and schedulers are rebuilt from state_dicts that went through torch.save.
model = new_model()
matrices = [p for n, p in model.named_parameters() if p.ndim == 2 and "head" not in n]
others = [p for n, p in model.named_parameters() if p.ndim != 2 or "head" in n]


def build():
    opts = [Muon(matrices, lr=0.02, weight_decay=0.01, l2=1e-4), AdamWAMSGrad(others, lr=3e-3)]
    return opts, [torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=STEPS) for o in opts]


def reload(optimizers, schedulers):
    buf = io.BytesIO()
    torch.save({"opt": [o.state_dict() for o in optimizers], "sched": [s.state_dict() for s in schedulers]}, buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=False)
    new_opts, new_scheds = build()
    for o, sd in zip(new_opts, ckpt["opt"]):
        o.load_state_dict(sd)
    for s, sd in zip(new_scheds, ckpt["sched"]):
        s.load_state_dict(sd)
    return new_opts, new_scheds


opts, scheds = build()
muon_losses = []
train(model, opts, scheds, STEPS, muon_losses, on_half=reload)
report("muon", muon_losses)
report("muon_state_keys", sorted(opts[0].state_dict()["state"][0]))
report("adamw_state_keys", sorted(opts[1].state_dict()["state"][0]))

# Classic SGD with StepLR.
model = new_model()
sgd = ClassicSGD(model.parameters(), lr=0.05, weight_decay=1e-3)
step_lr = torch.optim.lr_scheduler.StepLR(sgd, step_size=8, gamma=0.5)
sgd_losses = []
train(model, [sgd], [step_lr], STEPS, sgd_losses)
report("sgd", sgd_losses)
report("grad_norm_max", report_norms)
