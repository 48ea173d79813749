"""Adadelta against torch.optim.Adadelta (float32 and float64, over many steps, every
argument) and a float64 numpy transcription of the rule; SIMD paths bit-identical to the
scalar one; torch's signature, state and argument errors."""
import inspect

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hst

import steepest as st


def adadelta_reference(p0, grads, lr, rho, eps, wd, maximize):
    """Zeiler's rule as torch orders it, in float64."""
    p = np.array(p0, dtype=np.float64)
    v = np.zeros_like(p)
    u = np.zeros_like(p)
    for g in grads:
        g = -np.asarray(g, np.float64) if maximize else np.asarray(g, np.float64)
        g = g + wd * p
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
    return p


def _grads(shapes, steps, dtype, seed):
    rng = np.random.RandomState(seed)
    p0 = [np.asarray(rng.randn(*s), dtype=dtype) for s in shapes]
    return p0, [[np.asarray(rng.randn(*s), dtype=dtype) for s in shapes] for _ in range(steps)]


def _run(lib, p0, grads, **kw):
    ps = [lib.tensor(a.copy(), requires_grad=True) for a in p0]
    opt = lib.optim.Adadelta(ps, **kw)
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = lib.tensor(g.copy())
        opt.step()
    return ps, opt


SHAPES = hst.lists(hst.lists(hst.integers(0, 9), min_size=0, max_size=3).map(tuple), min_size=1, max_size=4)


@settings(max_examples=25, deadline=None)
@given(shapes=SHAPES, seed=hst.integers(0, 2**16), wd=hst.sampled_from([0.0, 0.03]), maximize=hst.booleans(),
       rho=hst.sampled_from([0.9, 0.5]))
def test_adadelta_matches_torch_and_the_float64_reference(shapes, seed, wd, maximize, rho):
    kw = dict(lr=0.5, rho=rho, eps=1e-6, weight_decay=wd, maximize=maximize)
    for dtype in (np.float32, np.float64):
        p0, grads = _grads(shapes, 30, dtype, seed)
        ours, _ = _run(st, p0, grads, **kw)
        theirs, _ = _run(torch, p0, grads, **kw)
        tol = dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
        for i, (a, b) in enumerate(zip(ours, theirs)):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)
            if dtype == np.float64:
                want = adadelta_reference(p0[i], [g[i] for g in grads], kw["lr"], rho, kw["eps"], wd, maximize)
                np.testing.assert_allclose(a.detach().numpy(), want, rtol=1e-12, atol=1e-14)


def test_adadelta_trains_a_model_as_torch_over_many_steps():
    """A small least-squares model, grads from autograd, 60 steps with per-group options."""
    rng = np.random.RandomState(1)
    x = rng.randn(64, 5).astype(np.float32)
    y = rng.randn(64, 1).astype(np.float32)
    w0 = rng.randn(5, 1).astype(np.float32)
    b0 = np.zeros(1, np.float32)
    out = []
    for lib in (st, torch):
        w = lib.tensor(w0.copy(), requires_grad=True)
        b = lib.tensor(b0.copy(), requires_grad=True)
        opt = lib.optim.Adadelta([{"params": [w]}, {"params": [b], "lr": 0.3, "weight_decay": 0.0}],
                                 lr=1.0, weight_decay=1e-2, foreach=False, capturable=False)
        xs, ys = lib.tensor(x), lib.tensor(y)
        losses = []
        for _ in range(60):
            opt.zero_grad()
            loss = ((xs @ w + b - ys) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        out.append((losses, w.detach().numpy().copy(), opt.state_dict()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-6)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6, atol=1e-7)
    ours, theirs = out[0][2], out[1][2]
    assert set(ours["state"][0]) == set(theirs["state"][0]) == {"step", "square_avg", "acc_delta"}
    assert float(ours["state"][0]["step"]) == float(theirs["state"][0]["step"]) == 60
    np.testing.assert_allclose(ours["state"][0]["acc_delta"].numpy(), theirs["state"][0]["acc_delta"].numpy(),
                               rtol=1e-5, atol=1e-9)


def test_adadelta_resumes_from_its_state_dict():
    p0, grads = _grads([(4, 3)], 20, np.float32, 5)
    full, _ = _run(st, p0, grads, lr=0.7)
    half, opt = _run(st, p0, grads[:10], lr=0.7)
    p = st.tensor(half[0].detach().numpy().copy(), requires_grad=True)
    opt2 = st.optim.Adadelta([p], lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    for gs in grads[10:]:
        p.grad = st.tensor(gs[0])
        opt2.step()
    np.testing.assert_array_equal(p.detach().numpy(), full[0].detach().numpy())


def test_adadelta_simd_paths_equal_the_scalar_path():
    p0, grads = _grads([(1000,), (7, 13)], 6, np.float32, 3)
    results = {}
    for isa in st.supported_isas():
        st.set_isa(isa)
        try:
            ps, _ = _run(st, p0, grads, weight_decay=0.01)
            results[isa] = [p.detach().numpy().copy() for p in ps]
        finally:
            st.set_isa(st.supported_isas()[0])
    for isa, got in results.items():
        for a, b in zip(got, results["scalar"]):
            np.testing.assert_array_equal(a, b, err_msg=isa)


def test_adadelta_signature_defaults_and_state_are_torchs():
    assert str(inspect.signature(st.optim.Adadelta)) == (
        "(params, lr=1.0, rho=0.9, eps=1e-06, weight_decay=0.0, foreach=None, *, capturable=False, "
        "maximize=False, differentiable=False)")
    opt = st.optim.Adadelta([st.zeros(2, requires_grad=True)])
    assert opt.defaults["lr"] == 1.0 and opt.defaults["rho"] == 0.9 and opt.defaults["eps"] == 1e-6


@pytest.mark.parametrize("kw, name", [(dict(lr=-1.0), "lr"), (dict(eps=-1e-8), "eps"), (dict(rho=1.5), "rho"),
                                      (dict(rho=-0.1), "rho"), (dict(weight_decay=-0.1), "weight_decay")])
def test_adadelta_bad_arguments_name_themselves(kw, name):
    with pytest.raises(ValueError, match=name):
        st.optim.Adadelta([st.zeros(2, requires_grad=True)], **kw)
