"""A NaN in a grad or in a running max reaches the param and the state exactly as it does in
the reference implementations, on every instruction set: torch.maximum (Adamax's exp_inf,
AMSGrad's max_exp_avg_sq) keeps a NaN from either side, and torch.sign maps NaN to 0 (so
Lion's param only decays at a NaN coordinate and SophiaG's becomes NaN through 0 * NaN).
References: torch 2.13's optimizers, and float64 numpy transcriptions written here."""
import numpy as np
import pytest
import torch

import steepest as st

N = 37  # a SIMD body and a scalar tail on every vector width
NAN_AT = (3, 35)  # one coordinate in the body, one in the tail


def _grads(steps, seed, nan_step):
    rng = np.random.RandomState(seed)
    out = []
    for t in range(steps):
        g = rng.randn(N).astype(np.float32)
        if t == nan_step:
            g[list(NAN_AT)] = np.nan
        out.append(g)
    return out


def _run_st(opt_cls, p0, grads, state_edit=None, **kw):
    p = st.from_numpy(p0.copy())
    opt = opt_cls([p], **kw)
    for t, g in enumerate(grads):
        if t == 1 and state_edit is not None:
            sd = opt.state_dict()
            state_edit(sd["state"][0], lambda a: st.from_numpy(a))
            opt.load_state_dict(sd)
        p.grad = st.from_numpy(g.copy())
        opt.step()
    return p, opt.state[p]


def _run_torch(opt_cls, p0, grads, state_edit=None, **kw):
    p = torch.tensor(p0.copy())
    opt = opt_cls([p], **kw)
    for t, g in enumerate(grads):
        if t == 1 and state_edit is not None:
            sd = opt.state_dict()
            state_edit(sd["state"][0], lambda a: torch.tensor(a))
            opt.load_state_dict(sd)
        p.grad = torch.tensor(g.copy())
        opt.step()
    return p, opt.state[p]


def _same(a, b, what):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=2e-6,
                               atol=1e-7, equal_nan=True, err_msg=what)
    assert (np.isnan(a) == np.isnan(b)).all(), what


def test_adamax_keeps_a_nan_in_exp_inf_like_torch_maximum(isa):
    p0 = np.random.RandomState(1).randn(N).astype(np.float32)
    grads = _grads(3, seed=2, nan_step=0)
    p, s = _run_st(st.optim.Adamax, p0, grads, lr=0.01)
    tp, ts = _run_torch(torch.optim.Adamax, p0, grads, lr=0.01)
    _same(p.numpy(), tp.numpy(), "param")
    _same(s["exp_inf"].numpy(), ts["exp_inf"].numpy(), "exp_inf")
    assert np.isnan(s["exp_inf"].numpy()[list(NAN_AT)]).all()


def _nan_into_max(state, make):
    m = state["max_exp_avg_sq"].numpy().copy()
    m[list(NAN_AT)] = np.nan
    state["max_exp_avg_sq"] = make(m)


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_amsgrad_keeps_a_nan_in_its_running_max_like_torch_maximum(isa, cls):
    p0 = np.random.RandomState(3).randn(N).astype(np.float32)
    grads = _grads(3, seed=4, nan_step=-1)
    p, s = _run_st(getattr(st.optim, cls), p0, grads, state_edit=_nan_into_max, lr=0.01, amsgrad=True)
    tp, ts = _run_torch(getattr(torch.optim, cls), p0, grads, state_edit=_nan_into_max, lr=0.01, amsgrad=True)
    _same(p.numpy(), tp.numpy(), "param")
    _same(s["max_exp_avg_sq"].numpy(), ts["max_exp_avg_sq"].numpy(), "max_exp_avg_sq")
    assert np.isnan(p.numpy()[list(NAN_AT)]).all()


def _torch_sign(x):
    """torch.sign as torch 2.13 computes it: +1, -1, and 0 for zeros and NaN."""
    return np.where(np.isnan(x), 0.0, np.sign(x))


def lion_reference(p0, grads, lr, betas, weight_decay):
    """Lion as the reference implementation writes it (decay, sign of the interpolation, step,
    then the momentum with beta2), in float64 with torch's sign."""
    b1, b2 = betas
    p = np.asarray(p0, dtype=np.float64).copy()
    m = np.zeros_like(p)
    for g in grads:
        g = np.asarray(g, dtype=np.float64)
        p *= 1 - lr * weight_decay
        p -= lr * _torch_sign(m * b1 + g * (1 - b1))
        m = m * b2 + g * (1 - b2)
    return p, m


def test_lion_follows_torch_sign_at_a_nan_grad(isa):
    p0 = np.random.RandomState(5).randn(N).astype(np.float32)
    grads = _grads(4, seed=6, nan_step=1)
    kw = dict(lr=0.01, betas=(0.9, 0.99), weight_decay=0.1)
    p, s = _run_st(st.optim.Lion, p0, grads, **kw)
    rp, rm = lion_reference(p0, grads, **kw)
    _same(p.numpy(), rp, "param")
    _same(s["exp_avg"].numpy(), rm, "exp_avg")


def sophia_reference(p0, grads, lr, betas, rho, weight_decay, bs):
    """SophiaG's step as the reference implementation writes it, in float64 with torch's sign,
    on the zero hessian the optimizer starts with (update_hessian is never called here)."""
    b1, _ = betas
    p = np.asarray(p0, dtype=np.float64).copy()
    m = np.zeros_like(p)
    hessian = np.zeros_like(p)
    for g in grads:
        g = np.asarray(g, dtype=np.float64)
        p *= 1 - lr * weight_decay
        m = m * b1 + g * (1 - b1)
        ratio = np.abs(m) / (rho * bs * hessian + 1e-15)
        ratio = np.where(ratio > 1, 1.0, ratio)  # clamp(max=1) keeps NaN
        p = p + (-lr) * _torch_sign(m) * ratio
    return p, m


def test_sophia_makes_the_param_nan_at_a_nan_grad_like_the_reference(isa):
    p0 = np.random.RandomState(7).randn(N).astype(np.float32)
    grads = _grads(3, seed=8, nan_step=1)
    kw = dict(lr=0.01, betas=(0.965, 0.99), rho=0.04, weight_decay=0.1)
    p = st.from_numpy(p0.copy())
    opt = st.optim.SophiaG([p], **kw)
    for g in grads:
        p.grad = st.from_numpy(g.copy())
        opt.step(bs=8)
    rp, rm = sophia_reference(p0, grads, bs=8, **kw)
    _same(p.numpy(), rp, "param")
    _same(opt.state[p]["exp_avg"].numpy(), rm, "exp_avg")
    assert np.isnan(p.numpy()[list(NAN_AT)]).all()
