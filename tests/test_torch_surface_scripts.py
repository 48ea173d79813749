"""Issue 12, scripts written the way public torch code is: each runs unchanged with `torch`
bound to steepest and to torch, from the same initial weights and data, and the losses agree
to float32 rounding. The scripts use the start-up boilerplate (device selection, cudnn flags,
seeding, .to(device)), torch.utils.data, AdamW with a cosine schedule and clipping, an EMA
copy (copy.deepcopy), an optimizer written in Python against torch's API (p.data, state[p],
_foreach ops, lerp_/addcmul_), formatted logging, and a save/resume through a file object."""
import copy
import io

import numpy as np
import pytest
import torch as real_torch

import steepest as st

STEPS = 24


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 8)).astype(np.float32)
    y = (np.sin(x[:, :1] * 2) + 0.1 * x[:, 1:2] ** 2).astype(np.float32)
    return x, y


def _init():
    real_torch.manual_seed(0)
    m = real_torch.nn.Sequential(real_torch.nn.Linear(8, 32), real_torch.nn.GELU(), real_torch.nn.Linear(32, 32),
                                 real_torch.nn.Tanh(), real_torch.nn.Linear(32, 1))
    return {k: v.numpy().copy() for k, v in m.state_dict().items()}


def regression_script(torch, init, x, y, log):
    """An MLP regression in the style of tutorials: AdamW, cosine schedule, clipping, EMA."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.manual_seed(0)
    torch.cuda.manual_seed_all(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.GELU(), torch.nn.Linear(32, 32), torch.nn.Tanh(),
                                torch.nn.Linear(32, 1))
    model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    model = model.to(device=device, dtype=torch.float32)
    model = torch.compile(model)
    ema = copy.deepcopy(model)
    for p in ema.parameters():
        p.requires_grad_(False)
    ds = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    loader = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=False)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS)
    losses = []
    step = 0
    while step < STEPS:
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device)
            loss = torch.nn.functional.mse_loss(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            with torch.no_grad():
                for e, p in zip(ema.parameters(), model.parameters()):
                    e.lerp_(p, 0.1)
            log.append(f"step {step:3d} loss {loss.item():.6f}")
            losses.append(loss.item())
            step += 1
            if step == STEPS:
                break
    with torch.no_grad():
        ema_loss = torch.nn.functional.mse_loss(ema(torch.tensor(x)), torch.tensor(y)).item()
    return losses, ema_loss


def python_optimizer_script(torch, init, x, y, log):
    """An Adam written in Python with torch's multi-tensor (_foreach) idiom, then a save and a
    resume through an in-memory file, training on after the resume."""
    class ForeachAdam(torch.optim.Optimizer):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                grads = [p.grad for p in params]
                for p in params:
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["exp_avg"] = torch.zeros_like(p)
                        state["exp_avg_sq"] = torch.zeros_like(p)
                    state["step"] += 1
                b1, b2 = group["betas"]
                m = [self.state[p]["exp_avg"] for p in params]
                v = [self.state[p]["exp_avg_sq"] for p in params]
                torch._foreach_mul_(params, 1 - group["lr"] * group["weight_decay"])
                torch._foreach_lerp_(m, grads, 1 - b1)
                torch._foreach_mul_(v, b2)
                torch._foreach_addcmul_(v, grads, grads, value=1 - b2)
                t = self.state[params[0]]["step"]
                bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
                denom = torch._foreach_sqrt(v)
                torch._foreach_div_(denom, bc2 ** 0.5)
                torch._foreach_add_(denom, group["eps"])
                torch._foreach_addcdiv_(params, m, denom, value=-group["lr"] / bc1)

    def build():
        model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.GELU(), torch.nn.Linear(32, 32),
                                    torch.nn.Tanh(), torch.nn.Linear(32, 1))
        model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
        return model, ForeachAdam(model.parameters(), lr=5e-3, weight_decay=0.01)

    model, opt = build()
    xt, yt = torch.tensor(x), torch.tensor(y)
    losses = []

    def train(n):
        for _ in range(n):
            loss = ((model(xt) - yt).square()).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            log.append(f"{loss:.5f}")
            losses.append(loss.item())

    train(STEPS // 2)
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, buf)
    buf.seek(0)
    ckpt = torch.load(buf, map_location="cpu", weights_only=True)
    model, opt = build()
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["opt"])
    train(STEPS - STEPS // 2)
    return losses, losses[-1]


@pytest.mark.parametrize("script", [regression_script, python_optimizer_script])
def test_script_runs_unchanged_and_matches_torch(script):
    x, y = _data()
    init = _init()
    st_log, torch_log = [], []
    st_losses, st_final = script(st, init, x, y, st_log)
    t_losses, t_final = script(real_torch, init, x, y, torch_log)
    assert len(st_losses) == len(t_losses) == STEPS
    np.testing.assert_allclose(st_losses, t_losses, rtol=2e-5, atol=1e-7)
    np.testing.assert_allclose(st_final, t_final, rtol=2e-5)
    assert len(st_log) == len(torch_log) and st_log[0] == torch_log[0]
